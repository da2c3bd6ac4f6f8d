"""Spanish geography: the 52 provinces, their autonomous communities and their names' variants.

``province_key`` folds a free-text province ("Álava", "araba", "A Coruña", "La Coruña",
"Baleares") to one canonical key so assignment rules, filters and the importer agree on it.
Pure data and pure functions: no I/O.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Canonical province name -> autonomous community (comunidad autónoma or ciudad autónoma).
PROVINCES: dict[str, str] = {
    "Álava": "País Vasco", "Guipúzcoa": "País Vasco", "Vizcaya": "País Vasco",
    "Almería": "Andalucía", "Cádiz": "Andalucía", "Córdoba": "Andalucía", "Granada": "Andalucía",
    "Huelva": "Andalucía", "Jaén": "Andalucía", "Málaga": "Andalucía", "Sevilla": "Andalucía",
    "Huesca": "Aragón", "Teruel": "Aragón", "Zaragoza": "Aragón",
    "Asturias": "Asturias",
    "Baleares": "Islas Baleares",
    "Las Palmas": "Canarias", "Santa Cruz de Tenerife": "Canarias",
    "Cantabria": "Cantabria",
    "Ávila": "Castilla y León", "Burgos": "Castilla y León", "León": "Castilla y León",
    "Palencia": "Castilla y León", "Salamanca": "Castilla y León", "Segovia": "Castilla y León",
    "Soria": "Castilla y León", "Valladolid": "Castilla y León", "Zamora": "Castilla y León",
    "Albacete": "Castilla-La Mancha", "Ciudad Real": "Castilla-La Mancha",
    "Cuenca": "Castilla-La Mancha", "Guadalajara": "Castilla-La Mancha",
    "Toledo": "Castilla-La Mancha",
    "Barcelona": "Cataluña", "Girona": "Cataluña", "Lleida": "Cataluña", "Tarragona": "Cataluña",
    "Alicante": "Comunidad Valenciana", "Castellón": "Comunidad Valenciana",
    "Valencia": "Comunidad Valenciana",
    "Badajoz": "Extremadura", "Cáceres": "Extremadura",
    "A Coruña": "Galicia", "Lugo": "Galicia", "Ourense": "Galicia", "Pontevedra": "Galicia",
    "La Rioja": "La Rioja",
    "Madrid": "Comunidad de Madrid",
    "Murcia": "Región de Murcia",
    "Navarra": "Navarra",
    "Ceuta": "Ceuta",
    "Melilla": "Melilla",
}

# Other spellings people type (co-official names, old names, with/without article).
_ALIASES: dict[str, str] = {
    "araba": "Álava", "araba/alava": "Álava", "alava/araba": "Álava",
    "gipuzkoa": "Guipúzcoa", "bizkaia": "Vizcaya",
    "illes balears": "Baleares", "islas baleares": "Baleares", "balears": "Baleares",
    "la coruna": "A Coruña", "coruna": "A Coruña", "corunya": "A Coruña",
    "orense": "Ourense", "gerona": "Girona", "lerida": "Lleida",
    "castello": "Castellón", "castellon de la plana": "Castellón",
    "alacant": "Alicante", "valencia/valencia": "Valencia",
    "rioja": "La Rioja", "palmas": "Las Palmas", "gran canaria": "Las Palmas",
    "tenerife": "Santa Cruz de Tenerife", "sta. cruz de tenerife": "Santa Cruz de Tenerife",
    "principado de asturias": "Asturias", "region de murcia": "Murcia",
    "comunidad de madrid": "Madrid", "navarra/nafarroa": "Navarra", "nafarroa": "Navarra",
}

# Community name variants -> canonical community.
_REGION_ALIASES: dict[str, str] = {
    "euskadi": "País Vasco", "pais vasco": "País Vasco",
    "andalucia": "Andalucía", "aragon": "Aragón",
    "asturias": "Asturias", "principado de asturias": "Asturias",
    "baleares": "Islas Baleares", "illes balears": "Islas Baleares",
    "islas baleares": "Islas Baleares",
    "canarias": "Canarias", "islas canarias": "Canarias", "cantabria": "Cantabria",
    "castilla y leon": "Castilla y León", "castilla-leon": "Castilla y León",
    "castilla la mancha": "Castilla-La Mancha", "castilla-la mancha": "Castilla-La Mancha",
    "cataluna": "Cataluña", "catalunya": "Cataluña",
    "comunidad valenciana": "Comunidad Valenciana", "comunitat valenciana": "Comunidad Valenciana",
    "valenciana": "Comunidad Valenciana",
    "extremadura": "Extremadura", "galicia": "Galicia", "la rioja": "La Rioja",
    "rioja": "La Rioja", "madrid": "Comunidad de Madrid",
    "comunidad de madrid": "Comunidad de Madrid", "murcia": "Región de Murcia",
    "region de murcia": "Región de Murcia", "navarra": "Navarra",
    "comunidad foral de navarra": "Navarra", "ceuta": "Ceuta", "melilla": "Melilla",
}

# First two digits of a postal code -> province (INE code order).
POSTAL_PREFIX: dict[str, str] = {
    "01": "Álava", "02": "Albacete", "03": "Alicante", "04": "Almería", "05": "Ávila",
    "06": "Badajoz", "07": "Baleares", "08": "Barcelona", "09": "Burgos", "10": "Cáceres",
    "11": "Cádiz", "12": "Castellón", "13": "Ciudad Real", "14": "Córdoba", "15": "A Coruña",
    "16": "Cuenca", "17": "Girona", "18": "Granada", "19": "Guadalajara", "20": "Guipúzcoa",
    "21": "Huelva", "22": "Huesca", "23": "Jaén", "24": "León", "25": "Lleida",
    "26": "La Rioja", "27": "Lugo", "28": "Madrid", "29": "Málaga", "30": "Murcia",
    "31": "Navarra", "32": "Ourense", "33": "Asturias", "34": "Palencia", "35": "Las Palmas",
    "36": "Pontevedra", "37": "Salamanca", "38": "Santa Cruz de Tenerife", "39": "Cantabria",
    "40": "Segovia", "41": "Sevilla", "42": "Soria", "43": "Tarragona", "44": "Teruel",
    "45": "Toledo", "46": "Valencia", "47": "Valladolid", "48": "Vizcaya", "49": "Zamora",
    "50": "Zaragoza", "51": "Ceuta", "52": "Melilla",
}


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lowercase, strip accents and surrounding blanks: ``" Álava "`` -> ``"alava"``."""
    decomposed = unicodedata.normalize("NFKD", str(text or "").strip().lower())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


_BY_FOLD: dict[str, str] = {fold(name): name for name in PROVINCES}
_BY_FOLD.update({fold(k): v for k, v in _ALIASES.items()})
_REGION_BY_FOLD: dict[str, str] = {fold(r): r for r in set(PROVINCES.values())}
_REGION_BY_FOLD.update({fold(k): v for k, v in _REGION_ALIASES.items()})


@lru_cache(maxsize=4096)
def canonical_province(text: str) -> str:
    """The canonical province name for any accepted spelling, or ``""`` if unknown."""
    key = fold(text)
    if not key:
        return ""
    if key in _BY_FOLD:
        return _BY_FOLD[key]
    # "Madrid (Comunidad de)", "Palmas, Las", "Coruña, A"
    if "," in key:
        head, _, tail = key.partition(",")
        swapped = f"{tail.strip()} {head.strip()}"
        if swapped in _BY_FOLD:
            return _BY_FOLD[swapped]
    head = key.split("(")[0].strip()
    return _BY_FOLD.get(head, "")


@lru_cache(maxsize=4096)
def province_key(text: str) -> str:
    """A comparison key: the folded canonical name, or the folded text when unknown."""
    canon = canonical_province(text)
    return fold(canon) if canon else fold(text)


def canonical_region(text: str) -> str:
    return _REGION_BY_FOLD.get(fold(text), "")


def provinces_of_region(region: str) -> list[str]:
    """Canonical provinces of an autonomous community (any accepted spelling)."""
    canon = canonical_region(region)
    return [p for p, r in PROVINCES.items() if r == canon]


def region_of(province: str) -> str:
    return PROVINCES.get(canonical_province(province), "")


def province_from_postal_code(postal_code: str) -> str:
    code = "".join(ch for ch in str(postal_code or "") if ch.isdigit())
    return POSTAL_PREFIX.get(code[:2], "") if len(code) == 5 else ""
