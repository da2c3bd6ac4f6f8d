"""Demo data: a Spanish SME with two sales teams and three years of commercial history.

``load_demo`` is deterministic: the same seed (and the same reference day) gives the same
rows. Faker ``es_ES`` and ``random.Random`` are both seeded with ``seed``; no wall-clock time
enters a row except through ``now``, which defaults to today's midnight (UTC), so the data
always ends "today" and two loads on the same day are identical.

The whole history is planned in memory first (so every record is consistent with the others:
a lead is converted on the day its account is created, an opportunity's owner is its
account's owner, stage changes move forward in time and end at ``closed_at``) and then
written with a few bulk inserts.

Contact data is fake but well-formed: NIF/CIF with valid check digits (python-stdnum),
Spanish phones valid for ``phonenumbers`` in E.164, and e-mail addresses under the reserved
``.example`` top-level domain so nothing can ever be sent to a real mailbox.
"""

from __future__ import annotations

import math
import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

import phonenumbers
from faker import Faker
from sqlalchemy import func
from sqlmodel import Session, select
from stdnum.es import cif as es_cif
from stdnum.es import dni as es_dni

from crm_app.auth.passwords import hash_password
from crm_app.formatting import to_local
from crm_app.models import (
    Account,
    Activity,
    ActivityKind,
    Contact,
    Lead,
    LeadStatus,
    Opportunity,
    Product,
    Quote,
    QuoteLine,
    QuoteStatus,
    Role,
    Stage,
    StageChange,
    StageKind,
    Team,
    User,
)
from crm_app.permissions import Perm, require
from crm_app.services import audit
from crm_app.services.actors import Actor, needs_actor
from crm_app.services.defaults import (
    CHANNELS,
    DEFAULT_STAGES,
    DISCARD_REASONS,
    LOST_REASONS,
    SECTORS,
    SIZE_BANDS,
    ensure_default_pipeline,
    ensure_organisation,
    pipeline_stages,
)
from crm_app.services.errors import Conflict
from crm_app.services.quote_maths import compute_totals

DEMO_PASSWORD = "demo1234"
DEMO_DOMAIN = "demo.crm"
HISTORY_DAYS = 3 * 365
CENT = Decimal("0.01")

TEAM_NORTE = "Equipo Norte"
TEAM_SUR = "Equipo Sur"

# (login, role, team, sales weight): the weight skews how many records each person owns, so
# the per-comercial comparisons in the dashboards are not flat.
DEMO_USERS: tuple[tuple[str, str, str | None, float], ...] = (
    ("admin", Role.ADMIN, None, 0.0),
    ("director", Role.DIRECTOR, None, 0.0),
    ("manager1", Role.MANAGER, TEAM_NORTE, 0.25),
    ("manager2", Role.MANAGER, TEAM_SUR, 0.25),
    ("comercial1", Role.COMERCIAL, TEAM_NORTE, 1.3),
    ("comercial2", Role.COMERCIAL, TEAM_NORTE, 1.0),
    ("comercial3", Role.COMERCIAL, TEAM_NORTE, 0.75),
    ("comercial4", Role.COMERCIAL, TEAM_SUR, 1.2),
    ("comercial5", Role.COMERCIAL, TEAM_SUR, 1.0),
    ("comercial6", Role.COMERCIAL, TEAM_SUR, 0.7),
    # The company's external accountant: reads customers' fiscal data and quotes, owns nothing.
    ("asesor", Role.ASESOR, None, 0.0),
)
ASESOR_NAME = "Gestoría Lucena"  # fixed, not drawn: the people before keep their seeded names
DEMO_EMAILS = tuple(f"{login}@{DEMO_DOMAIN}" for login, *_ in DEMO_USERS)

# Province (canonical names as in crm_app.services.spain), INE code (postal-code prefix),
# capital, landline prefix, weight in the customer base, territory (N, S, or M = Madrid, both).
PROVINCES: tuple[tuple[str, str, str, str, float, str], ...] = (
    ("Álava", "01", "Vitoria-Gasteiz", "945", 1.0, "N"),
    ("Albacete", "02", "Albacete", "967", 1.0, "S"),
    ("Alicante", "03", "Alicante", "965", 4.0, "S"),
    ("Almería", "04", "Almería", "950", 1.0, "S"),
    ("Ávila", "05", "Ávila", "920", 0.5, "N"),
    ("Badajoz", "06", "Badajoz", "924", 1.0, "S"),
    ("Baleares", "07", "Palma", "971", 2.0, "S"),
    ("Barcelona", "08", "Barcelona", "93", 14.0, "N"),
    ("Burgos", "09", "Burgos", "947", 1.0, "N"),
    ("Cáceres", "10", "Cáceres", "927", 0.7, "S"),
    ("Cádiz", "11", "Cádiz", "956", 2.0, "S"),
    ("Castellón", "12", "Castellón de la Plana", "964", 1.0, "S"),
    ("Ciudad Real", "13", "Ciudad Real", "926", 1.0, "S"),
    ("Córdoba", "14", "Córdoba", "957", 1.5, "S"),
    ("A Coruña", "15", "A Coruña", "981", 3.0, "N"),
    ("Cuenca", "16", "Cuenca", "969", 0.5, "S"),
    ("Girona", "17", "Girona", "972", 1.5, "N"),
    ("Granada", "18", "Granada", "958", 2.0, "S"),
    ("Guadalajara", "19", "Guadalajara", "949", 0.7, "S"),
    ("Guipúzcoa", "20", "Donostia-San Sebastián", "943", 1.5, "N"),
    ("Huelva", "21", "Huelva", "959", 1.0, "S"),
    ("Huesca", "22", "Huesca", "974", 0.5, "N"),
    ("Jaén", "23", "Jaén", "953", 1.0, "S"),
    ("León", "24", "León", "987", 1.0, "N"),
    ("Lleida", "25", "Lleida", "973", 1.0, "N"),
    ("La Rioja", "26", "Logroño", "941", 1.0, "N"),
    ("Lugo", "27", "Lugo", "982", 0.7, "N"),
    ("Madrid", "28", "Madrid", "91", 20.0, "M"),
    ("Málaga", "29", "Málaga", "952", 4.0, "S"),
    ("Murcia", "30", "Murcia", "968", 3.0, "S"),
    ("Navarra", "31", "Pamplona", "948", 1.5, "N"),
    ("Ourense", "32", "Ourense", "988", 0.7, "N"),
    ("Asturias", "33", "Oviedo", "985", 2.0, "N"),
    ("Palencia", "34", "Palencia", "979", 0.5, "N"),
    ("Las Palmas", "35", "Las Palmas de Gran Canaria", "928", 2.0, "S"),
    ("Pontevedra", "36", "Vigo", "986", 2.0, "N"),
    ("Salamanca", "37", "Salamanca", "923", 1.0, "N"),
    ("Santa Cruz de Tenerife", "38", "Santa Cruz de Tenerife", "922", 2.0, "S"),
    ("Cantabria", "39", "Santander", "942", 1.0, "N"),
    ("Segovia", "40", "Segovia", "921", 0.5, "N"),
    ("Sevilla", "41", "Sevilla", "954", 5.0, "S"),
    ("Soria", "42", "Soria", "975", 0.3, "N"),
    ("Tarragona", "43", "Tarragona", "977", 1.5, "N"),
    ("Teruel", "44", "Teruel", "978", 0.3, "N"),
    ("Toledo", "45", "Toledo", "925", 1.5, "S"),
    ("Valencia", "46", "Valencia", "96", 7.0, "S"),
    ("Valladolid", "47", "Valladolid", "983", 2.0, "N"),
    ("Vizcaya", "48", "Bilbao", "944", 4.0, "N"),
    ("Zamora", "49", "Zamora", "980", 0.5, "N"),
    ("Zaragoza", "50", "Zaragoza", "976", 3.0, "N"),
    ("Ceuta", "51", "Ceuta", "9565", 0.3, "S"),
    ("Melilla", "52", "Melilla", "9526", 0.3, "S"),
)

# The catalogue of the demo company, an IT and office-services provider for other SMEs:
# (sku, name, description, unit price, IVA %, exento, unit, weight in deals, typical qty).
CATALOGUE: tuple[tuple[str, str, str, str, str, bool, str, float, tuple[int, int]], ...] = (
    ("HW-PORT-14", "Portátil profesional 14\"", "Intel Core i5, 16 GB RAM, SSD 512 GB, "
     "Windows 11 Pro.", "899.00", "21", False, "ud", 2.0, (2, 20)),
    ("HW-MON-27", "Monitor 27\" QHD", "Panel IPS, USB-C con carga, regulable en altura.",
     "279.00", "21", False, "ud", 1.0, (3, 25)),
    ("HW-IMP-MFL", "Impresora multifunción láser color", "A4, dúplex, red y Wi-Fi, 30 ppm.",
     "449.00", "21", False, "ud", 1.0, (1, 6)),
    ("HW-SRV-NAS", "Servidor NAS 4 bahías", "Almacenamiento en red con 4 discos de 4 TB.",
     "1290.00", "21", False, "ud", 0.8, (1, 2)),
    ("SW-ERP-ANU", "Licencia ERP Pyme (anual)", "Facturación, contabilidad y almacén; "
     "compatible con Verifactu.", "1200.00", "21", False, "licencia", 2.0, (1, 5)),
    ("SW-CRM-USR", "Licencia CRM por usuario (anual)", "Gestión comercial en la nube.",
     "360.00", "21", False, "usuario", 1.5, (3, 30)),
    ("SW-M365-BUS", "Microsoft 365 Empresa Estándar (anual)", "Correo, Office y Teams.",
     "151.20", "21", False, "usuario", 1.5, (5, 60)),
    ("SV-INST-PEM", "Instalación y puesta en marcha", "Instalación in situ, configuración "
     "y migración de datos.", "450.00", "21", False, "servicio", 1.0, (1, 4)),
    ("SV-MANT-MES", "Mantenimiento informático (mensual)", "Soporte remoto ilimitado y una "
     "visita al mes.", "190.00", "21", False, "mes", 2.0, (12, 36)),
    ("SV-SOP-10H", "Bolsa de 10 horas de soporte", "Válida durante 12 meses.", "550.00", "21",
     False, "bolsa", 1.0, (1, 4)),
    ("SV-WEB-CORP", "Diseño de página web corporativa", "Hasta 8 secciones, adaptable a "
     "móviles, con gestor de contenidos.", "2400.00", "21", False, "proyecto", 1.5, (1, 1)),
    ("SV-WEB-SHOP", "Tienda online", "Catálogo, pasarela de pago y conexión con el ERP.",
     "4200.00", "21", False, "proyecto", 1.2, (1, 1)),
    ("SV-SEO-TRI", "Campaña SEO (trimestral)", "Auditoría, contenidos y enlaces.", "1350.00",
     "21", False, "trimestre", 1.0, (1, 4)),
    ("SV-RRSS-MES", "Gestión de redes sociales (mensual)", "Tres redes, 12 publicaciones al "
     "mes e informe.", "480.00", "21", False, "mes", 1.0, (6, 12)),
    ("SV-BKP-1TB", "Copia de seguridad en la nube 1 TB (anual)", "Cifrada, con retención de "
     "30 días.", "240.00", "21", False, "ud", 0.8, (1, 5)),
    ("SV-CIB-AUD", "Auditoría de ciberseguridad", "Análisis de vulnerabilidades e informe "
     "con plan de mejora.", "1600.00", "21", False, "servicio", 1.0, (1, 2)),
    ("SV-VOIP-EXT", "Centralita virtual (extensión/mes)", "Extensión IP con número "
     "geográfico.", "18.00", "21", False, "extensión", 0.8, (60, 480)),
    ("MB-SILLA-ERG", "Silla ergonómica de oficina", "Respaldo de malla y soporte lumbar.",
     "245.00", "21", False, "ud", 0.6, (4, 30)),
    ("SM-PAPEL-A4", "Papel A4 80 g (caja de 5 paquetes)", "2.500 hojas.", "24.90", "21",
     False, "caja", 0.4, (20, 200)),
    ("HS-CATER-PAX", "Catering para jornada de formación", "Café y almuerzo por asistente.",
     "22.00", "10", False, "persona", 0.4, (10, 60)),
    ("HS-ALOJ-NOC", "Alojamiento para jornadas (noche)", "Hotel concertado, habitación "
     "individual.", "95.00", "10", False, "noche", 0.3, (4, 30)),
    ("ED-MANUAL", "Manual de usuario impreso", "Encuadernado, a color.", "35.00", "4", False,
     "ud", 0.3, (5, 60)),
    ("ED-LIBRO-TD", "Libro «Transformación digital para pymes»", "Edición en papel.", "19.90",
     "4", False, "ud", 0.2, (10, 100)),
    ("FO-FUNDAE", "Curso de formación bonificada (FUNDAE)", "20 horas, tutorizado; exento "
     "de IVA (art. 20.Uno.9.º LIVA).", "890.00", "0", True, "curso", 1.0, (1, 6)),
    ("FO-RGPD", "Formación en protección de datos (RGPD)", "Sesión de 4 horas; exenta de "
     "IVA.", "300.00", "0", True, "sesión", 0.6, (1, 4)),
    ("SG-EQUIPOS", "Seguro de equipos informáticos (anual)", "Daños y robo; operación de "
     "seguro exenta de IVA.", "120.00", "0", True, "póliza", 0.4, (1, 10)),
    ("AL-CESTA-NAV", "Cesta de Navidad de productos básicos", "Lote de alimentos básicos al "
     "tipo del 0 %.", "45.00", "0", False, "lote", 0.2, (10, 80)),
)

POSITIONS = ("Gerente", "Director/a general", "Director/a comercial", "Responsable de compras",
             "Administración", "Director/a financiero/a", "Responsable de informática",
             "Jefe/a de oficina", "Socio/a")
SECTOR_WEIGHTS = (9, 5, 6, 6, 7, 5, 9, 4, 3, 4, 3, 5)
SIZE_WEIGHTS = (45, 35, 15, 5)
CHANNEL_WEIGHTS = (26, 12, 16, 10, 12, 16, 8)
# Win probability among closed deals, by channel: warm channels close more.
WIN_RATE = {"Web": 0.42, "Feria": 0.40, "Referido": 0.62, "Llamada en frío": 0.24,
            "LinkedIn": 0.36, "Google Ads": 0.38, "Partner": 0.55}
NOTE_TEXTS = (
    "Prefiere que le llamemos por la mañana.", "Pide factura electrónica (Facturae).",
    "Cierra las compras al final de cada trimestre.", "Valora mucho el soporte presencial.",
    "Tiene contrato con otro proveedor hasta fin de año.", "Decide junto con su socio.",
)


def reference_now() -> datetime:
    """Today's midnight in UTC: the fixed "now" of a demo load made today."""
    today = datetime.now(UTC).date()
    return datetime.combine(today, time(0), tzinfo=UTC)


@lru_cache(maxsize=1)
def demo_password_hash() -> str:
    """Hash the demo password once (argon2 is deliberately slow) and reuse it for every user."""
    return hash_password(DEMO_PASSWORD)


def database_is_empty(*, session: Session) -> bool:
    """True when there are no users at all: a fresh install where the demo may be loaded."""
    return session.exec(select(func.count()).select_from(User)).one() == 0


# --- helpers -------------------------------------------------------------------------------


def _slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.lower())
    ascii_text = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")


def _money(value: Decimal | float | int) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class _Lead:
    row: Lead
    account: _Account | None = None
    contact: _Contact | None = None
    opportunity: _Opp | None = None


@dataclass
class _Account:
    row: Account
    owner: User
    domain: str
    lead: _Lead | None = None
    contacts: list[_Contact] = field(default_factory=list)


@dataclass
class _Contact:
    row: Contact
    account: _Account


@dataclass
class _Opp:
    row: Opportunity
    account: _Account
    contact: _Contact | None
    lead: _Lead | None
    product: Product | None = None
    qty: int = 1
    discount_pct: Decimal = Decimal("0")
    path: list[Stage] = field(default_factory=list)
    times: list[datetime] = field(default_factory=list)
    changes: list[StageChange] = field(default_factory=list)
    quotes: list[_Quote] = field(default_factory=list)


@dataclass
class _Quote:
    row: Quote
    lines: list[QuoteLine]


@dataclass
class _Act:
    row: Activity
    lead: _Lead | None = None
    account: _Account | None = None
    contact: _Contact | None = None
    opp: _Opp | None = None


class _DemoBuilder:
    def __init__(self, session: Session, seed: int, now: datetime) -> None:
        self.session = session
        self.rng = random.Random(seed)
        self.fake = Faker("es_ES")
        self.fake.seed_instance(seed)
        self.now = now
        self.start = now - timedelta(days=HISTORY_DAYS)
        self.used_nifs: set[str] = set()
        self.used_names: set[str] = set()
        self.used_domains: set[str] = set()
        self.used_emails: set[str] = set()
        self.teams: dict[str, Team] = {}
        self.users: dict[str, User] = {}
        self.sellers: dict[int, list[tuple[User, float]]] = {}
        self.products: list[Product] = []
        self.product_qty: dict[str, tuple[int, int]] = {}
        self.product_weights: list[float] = []
        self.leads: list[_Lead] = []
        self.accounts: list[_Account] = []
        self.opps: list[_Opp] = []
        self.acts: list[_Act] = []

    # --- random building blocks ---------------------------------------------------------

    def pick(self, seq: Any, weights: Any = None) -> Any:
        return self.rng.choices(seq, weights=weights, k=1)[0]

    def at_work(self, day: datetime) -> datetime:
        """A time within Spanish office hours (8:00-19:00 Madrid, roughly 7-17 UTC) on ``day``."""
        base = datetime.combine(day.date(), time(7), tzinfo=UTC)
        return base + timedelta(minutes=self.rng.randrange(0, 10 * 60))

    def created_time(self, lo_days_ago: float, hi_days_ago: float = 0.5,
                     growth: float = 0.65) -> datetime:
        """A moment between ``lo_days_ago`` and ``hi_days_ago`` before now, denser near now.

        ``growth`` is the share drawn from a linearly increasing density (business grows);
        the rest is uniform.
        """
        u = self.rng.random()
        frac = math.sqrt(u) if self.rng.random() < growth else u  # 0 = oldest, 1 = newest
        days_ago = lo_days_ago - frac * (lo_days_ago - hi_days_ago)
        moment = self.at_work(self.now - timedelta(days=days_ago))
        return min(moment, self.now - timedelta(hours=1))

    def cif(self, letter: str, ine: str) -> str:
        while True:
            body = f"{letter}{ine}{self.rng.randrange(0, 100000):05d}"
            check = es_cif.calc_check_digits(body)
            value = body + (check[1] if letter in "KPQRSNW" else check[0])
            if value not in self.used_nifs:
                self.used_nifs.add(value)
                return value

    def dni(self) -> str:
        while True:
            digits = f"{self.rng.randrange(10_000_000, 80_000_000):08d}"
            value = digits + es_dni.calc_check_digit(digits)
            if value not in self.used_nifs:
                self.used_nifs.add(value)
                return value

    def mobile(self) -> str:
        while True:
            if self.rng.random() < 0.85:
                national = "6" + f"{self.rng.randrange(0, 10**8):08d}"
            else:
                national = f"7{self.rng.randint(1, 4)}" + f"{self.rng.randrange(0, 10**7):07d}"
            if self._valid_phone(national):
                return "+34" + national

    def landline(self, prefix: str) -> str:
        for _ in range(20):
            rest = 9 - len(prefix)
            national = prefix + f"{self.rng.randrange(0, 10**rest):0{rest}d}"
            if self._valid_phone(national):
                return "+34" + national
        return self.mobile()

    @staticmethod
    def _valid_phone(national: str) -> bool:
        return phonenumbers.is_valid_number(phonenumbers.parse("+34" + national))

    def person(self) -> tuple[str, str]:
        return self.fake.first_name(), f"{self.fake.last_name()} {self.fake.last_name()}"

    def email(self, first: str, last: str, domain: str) -> str:
        local = f"{_slug(first).split('-')[0]}.{_slug(last).split('-')[0]}"
        address, n = f"{local}@{domain}", 1
        while address in self.used_emails:
            n += 1
            address = f"{local}{n}@{domain}"
        self.used_emails.add(address)
        return address

    def domain_for(self, name: str) -> str:
        base = _slug(name)[:40].strip("-") or "empresa"
        domain, n = f"{base}.example", 1
        while domain in self.used_domains:
            n += 1
            domain = f"{base}-{n}.example"
        self.used_domains.add(domain)
        return domain

    def province(self) -> tuple[str, str, str, str, float, str]:
        return self.pick(PROVINCES, [p[4] for p in PROVINCES])

    def owner_for(self, territory: str) -> User:
        if territory == "M":
            territory = self.pick("NS")
        team = self.teams[TEAM_NORTE if territory == "N" else TEAM_SUR]
        people = self.sellers[team.id]
        return self.pick([u for u, _ in people], [w for _, w in people])

    # --- the plan -------------------------------------------------------------------------

    def run(self) -> dict[str, int]:
        org = ensure_organisation(session=self.session)
        pipeline = ensure_default_pipeline(session=self.session)
        self.stages = pipeline_stages(session=self.session, pipeline_id=pipeline.id)
        self.pipeline = pipeline
        kinds = [st.kind for st in self.stages]
        if kinds != [str(spec.kind) for spec in DEFAULT_STAGES]:
            raise Conflict("El embudo por defecto ya no tiene las etapas estándar: los datos de "
                           "demostración necesitan un embudo «Ventas» sin modificar.")
        self.make_people()
        self.make_organisation(org)
        self.make_products()
        self.plan_accounts()
        self.plan_leads()
        self.plan_opportunities()
        self.plan_activities()
        self.plan_quotes(compute_totals, org)
        self.write()
        counts = {
            "organisation": 1,
            "teams": len(self.teams),
            "users": len(self.users),
            "products": len(self.products),
            "leads": len(self.leads),
            "accounts": len(self.accounts),
            "contacts": sum(len(a.contacts) for a in self.accounts),
            "opportunities": len(self.opps),
            "stage_changes": sum(len(o.changes) for o in self.opps),
            "activities": len(self.acts),
        }
        quotes = [q for o in self.opps for q in o.quotes]
        counts["quotes"] = len(quotes)
        counts["quote_lines"] = sum(len(q.lines) for q in quotes)
        return counts

    def make_people(self) -> None:
        joined = self.start - timedelta(days=45)
        for name in (TEAM_NORTE, TEAM_SUR):
            team = self.session.exec(select(Team).where(Team.name == name)).first()
            self.teams[name] = team or Team(name=name)
        self.session.add_all(list(self.teams.values()))
        self.session.flush()
        pw = demo_password_hash()
        for login, role, team_name, _ in DEMO_USERS:
            if role == Role.ASESOR:
                name = ASESOR_NAME
            else:
                first, last = self.person()
                name = f"{first} {last.split()[0]}"
            team = self.teams[team_name] if team_name else None
            self.users[login] = User(
                email=f"{login}@{DEMO_DOMAIN}", name=name, role=role,
                team_id=team.id if team else None, password_hash=pw, created_at=joined)
        self.session.add_all(list(self.users.values()))
        self.session.flush()
        self.teams[TEAM_NORTE].manager_id = self.users["manager1"].id
        self.teams[TEAM_SUR].manager_id = self.users["manager2"].id
        for login, _, team_name, weight in DEMO_USERS:
            if team_name:
                team = self.teams[team_name]
                self.sellers.setdefault(team.id, []).append((self.users[login], weight))

    def make_organisation(self, org: Any) -> None:
        if org.legal_name:
            return  # a real configuration is never overwritten by the demo
        org.legal_name = "Soluciones Meseta Digital, S.L."
        org.nif = self.cif("B", "28")
        org.address = "Calle de Alcalá, 156, 3.º izquierda"
        org.postal_code = "28028"
        org.city = "Madrid"
        org.province = "Madrid"
        org.phone = self.landline("91")
        org.email = "hola@mesetadigital.example"
        org.website = "https://www.mesetadigital.example"
        org.fiscal_year_start_month = 1
        org.currency = "EUR"
        org.timezone = "Europe/Madrid"
        org.default_irpf_pct = Decimal("0")
        org.quote_validity_days = 30
        org.quote_conditions = (
            "Precios en euros. Validez de la oferta: 30 días. Forma de pago: transferencia a "
            "30 días fecha factura. Los servicios recurrentes se facturan por meses "
            "anticipados.")
        org.lead_fallback_owner_id = self.users["manager1"].id
        org.stale_days_default = 14
        self.session.add(org)

    def make_products(self) -> None:
        created = self.start - timedelta(days=60)
        for sku, name, desc, price, rate, exempt, unit, weight, qty in CATALOGUE:
            self.products.append(Product(
                name=name, sku=sku, description=desc, unit_price=Decimal(price),
                tax_rate=Decimal(rate), tax_exempt=exempt, unit=unit, active=True,
                created_at=created))
            self.product_weights.append(weight)
            self.product_qty[sku] = qty
        self.products[-1].active = False  # a retired item, so the catalogue shows both states
        self.session.add_all(self.products)
        self.session.flush()

    def company_name(self) -> tuple[str, str, str]:
        """(razón social, nombre comercial, CIF letter) from Faker, unique."""
        while True:
            raw = " ".join(self.fake.company().split())
            base, _, suffix = raw.rpartition(" ")
            if not base or base in self.used_names:
                continue
            self.used_names.add(base)
            if suffix.startswith("S.Coop"):
                letter = "F"
            elif suffix.startswith("S.Com"):
                letter = "C"
            elif suffix.startswith("S.A"):
                letter = "A"
            elif suffix.startswith("S.C"):
                letter = "J"
            else:
                letter = "B"
            return f"{base}, {suffix}", base, letter

    def plan_accounts(self, n: int = 150) -> None:
        for _ in range(n):
            created = self.created_time(HISTORY_DAYS - 20, 3, growth=0.5)
            prov, ine, capital, prefix, _, territory = self.province()
            owner = self.owner_for(territory)
            sector = self.pick(SECTORS, SECTOR_WEIGHTS)
            self_employed = self.rng.random() < 0.12
            if self_employed:
                first, last = self.person()
                name = f"{first} {last}"
                trade = {"Comercio minorista": "Comercial", "Hostelería": "Bar",
                         "Construcción": "Reformas"}.get(sector, "Servicios")
                trade = f"{trade} {last.split()[0]}"
                nif = self.dni()
                size = "1-9"
                recargo = sector == "Comercio minorista" or self.rng.random() < 0.3
                if recargo:
                    sector = "Comercio minorista"
            else:
                name, trade, letter = self.company_name()
                nif = self.cif(letter, ine)
                size = self.pick(SIZE_BANDS, SIZE_WEIGHTS)
                recargo = False
            domain = self.domain_for(trade)
            row = Account(
                name=name, trade_name=trade, nif=nif, sector=sector, size_band=size,
                address=self.fake.street_address().strip(),
                postal_code=f"{ine}{self.rng.randrange(1, 1000):03d}", city=capital,
                province=prov, country="ES", email=f"info@{domain}",
                phone=self.landline(prefix), website=f"https://www.{domain}",
                channel=self.pick(CHANNELS, CHANNEL_WEIGHTS), recargo_equivalencia=recargo,
                owner_id=owner.id, team_id=owner.team_id, created_at=created)
            acc = _Account(row=row, owner=owner, domain=domain)
            for i in range(self.pick((1, 2, 3), (45, 35, 20))):
                if i == 0 and self_employed:
                    acc.contacts.append(_Contact(account=acc, row=Contact(
                        first_name=first, last_name=last, email=self.email(first, last, domain),
                        phone=self.mobile(), position="Titular", nif=nif, owner_id=owner.id,
                        team_id=owner.team_id, created_at=created)))
                    continue
                first, last = self.person()
                when = created if i == 0 else min(
                    created + timedelta(days=self.rng.randint(1, 400)), self.now - timedelta(1))
                acc.contacts.append(_Contact(account=acc, row=Contact(
                    first_name=first, last_name=last, email=self.email(first, last, domain),
                    phone=self.mobile(), position=self.pick(POSITIONS),
                    owner_id=owner.id, team_id=owner.team_id, created_at=when)))
            self.accounts.append(acc)

    def plan_leads(self, total: int = 300) -> None:
        # Accounts that came from a lead: the lead was converted when the account was created.
        for acc in self.accounts:
            if acc.row.created_at < self.start + timedelta(days=50) or self.rng.random() > 0.45:
                continue
            contact = acc.contacts[0]
            created = self.at_work(acc.row.created_at - timedelta(days=self.rng.randint(3, 45)))
            first_contact = self.response(created)
            lead = _Lead(row=Lead(
                first_name=contact.row.first_name, last_name=contact.row.last_name,
                company=acc.row.trade_name if acc.row.nif[0].isdigit() else acc.row.name,
                nif=acc.row.nif, email=contact.row.email,
                phone=contact.row.phone, position=contact.row.position,
                province=acc.row.province, city=acc.row.city, source=acc.row.channel,
                status=LeadStatus.CONVERTIDO, first_contacted_at=first_contact,
                converted_at=acc.row.created_at, owner_id=acc.owner.id,
                team_id=acc.owner.team_id, created_at=created, updated_at=acc.row.created_at,
                notes=f"Convertido en cliente: {acc.row.name}."), account=acc, contact=contact)
            acc.lead = lead
            self.leads.append(lead)
        rest = total - len(self.leads)
        plan = [(LeadStatus.NUEVO, round(rest * 0.16), 21),
                (LeadStatus.CONTACTADO, round(rest * 0.20), 75),
                (LeadStatus.CUALIFICADO, round(rest * 0.16), 150)]
        plan.append((LeadStatus.DESCARTADO, rest - sum(n for _, n, _ in plan), HISTORY_DAYS))
        for status, count, window in plan:
            for _ in range(count):
                self.leads.append(self.open_lead(status, window))
        self.leads.sort(key=lambda lead: lead.row.created_at)

    def response(self, created: datetime) -> datetime:
        """First contact a few hours after the lead arrived (the lead response time KPI)."""
        minutes = int(min(self.rng.expovariate(1 / 14), 120) * 60) + 15
        return min(created + timedelta(minutes=minutes), self.now - timedelta(minutes=30))

    def open_lead(self, status: str, window_days: int) -> _Lead:
        created = self.created_time(window_days, 0.5)
        prov, ine, capital, _, _, territory = self.province()
        owner = self.owner_for(territory)
        first, last = self.person()
        if self.rng.random() < 0.8:
            company, trade, letter = self.company_name()
            nif = self.cif(letter, ine) if self.rng.random() < 0.55 else ""
            domain = self.domain_for(trade)
        else:  # a self-employed person or a private individual
            company, domain = "", "correo.example"
            nif = self.dni() if self.rng.random() < 0.3 else ""
        row = Lead(
            first_name=first, last_name=last, company=company, nif=nif,
            email=self.email(first, last, domain) if self.rng.random() < 0.9 else "",
            phone=self.mobile() if self.rng.random() < 0.85 else "",
            position=self.pick(POSITIONS) if company else "", province=prov, city=capital,
            source=self.pick(CHANNELS, CHANNEL_WEIGHTS), status=status,
            owner_id=owner.id, team_id=owner.team_id, created_at=created)
        if status != LeadStatus.NUEVO and (status != LeadStatus.DESCARTADO
                                           or self.rng.random() < 0.85):
            row.first_contacted_at = self.response(created)
            row.updated_at = row.first_contacted_at
        if status == LeadStatus.DESCARTADO:
            row.discard_reason = self.pick(DISCARD_REASONS)
            row.updated_at = min(created + timedelta(days=self.rng.randint(1, 20)),
                                 self.now - timedelta(minutes=10))
        if status == LeadStatus.CUALIFICADO:
            row.notes = "Necesidad confirmada; pendiente de preparar propuesta."
        return _Lead(row=row)

    def plan_opportunities(self, total: int = 250) -> None:
        for acc in self.accounts:
            lead = acc.lead
            created = acc.row.created_at if lead else min(
                acc.row.created_at + timedelta(days=self.rng.randint(0, 20)),
                self.now - timedelta(hours=2))
            self.opps.append(self.new_opp(acc, created, lead, acc.row.channel))
        # Repeat business from existing customers, bigger ones buy more often.
        weights = [{"1-9": 1, "10-49": 2, "50-249": 3, "250+": 4}[a.row.size_band]
                   for a in self.accounts]
        while len(self.opps) < total:
            acc = self.pick(self.accounts, weights)
            earliest = acc.row.created_at + timedelta(days=30)
            if earliest >= self.now - timedelta(days=2):
                continue
            span = (self.now - earliest).total_seconds()
            created = self.at_work(earliest + timedelta(seconds=span * self.rng.random()))
            created = min(created, self.now - timedelta(hours=1))
            channel = acc.row.channel if self.rng.random() < 0.7 else "Referido"
            self.opps.append(self.new_opp(acc, created, None, channel))
        self.opps.sort(key=lambda o: o.row.created_at)
        self.assign_stages()

    def new_opp(self, acc: _Account, created: datetime, lead: _Lead | None,
                channel: str) -> _Opp:
        product = self.pick(self.products[:-1], self.product_weights[:-1])
        lo, hi = self.product_qty[product.sku]
        qty = self.rng.randint(lo, hi)
        if acc.row.size_band in ("50-249", "250+") and hi > 1:
            qty = min(hi * 2, qty * 2)
        discount = self.pick((Decimal("0"), Decimal("5"), Decimal("10")), (60, 25, 15))
        amount = _money(product.unit_price * qty * (1 - discount / 100))
        short = product.name.split(" (")[0]
        contact = self.pick(acc.contacts)
        row = Opportunity(
            name=f"{short} – {acc.row.trade_name}", account_id=None, pipeline_id=self.pipeline.id,
            stage_id=self.stages[0].id, product_id=product.id, amount=amount, channel=channel,
            description=f"{qty} × {product.name} ({product.unit}).",
            owner_id=acc.owner.id, team_id=acc.owner.team_id, created_at=created)
        opp = _Opp(row=row, account=acc, contact=contact, lead=lead, product=product, qty=qty,
                   discount_pct=discount)
        if lead is not None:
            lead.opportunity = opp
        return opp

    def assign_stages(self) -> None:
        open_stages = [s for s in self.stages if s.kind == StageKind.OPEN]
        won = next(s for s in self.stages if s.kind == StageKind.WON)
        cancelled, lost = [s for s in self.stages if s.kind == StageKind.LOST][:2]
        for opp in self.opps:
            age = (self.now - opp.row.created_at).days
            p_open = 0.85 if age < 30 else 0.55 if age < 90 else 0.25 if age < 180 else \
                0.06 if age < 365 else 0.0
            if self.rng.random() < p_open:
                weights = (70, 25, 5) if age < 14 else (35, 40, 25) if age < 45 else (25, 40, 35)
                k = self.rng.choices(range(3), weights=weights, k=1)[0]
                opp.path = open_stages[: k + 1]
            elif self.rng.random() < WIN_RATE.get(opp.row.channel, 0.4):
                opp.path = [*open_stages[:2], won] if self.rng.random() < 0.2 else \
                    [*open_stages, won]
            else:
                j = self.rng.choices(range(3), weights=(30, 45, 25), k=1)[0]
                final = cancelled if self.rng.random() < 0.3 else lost
                opp.path = [*open_stages[: j + 1], final]
        self.cover_every_stage(open_stages)
        for opp in self.opps:
            self.schedule(opp)

    def cover_every_stage(self, open_stages: list[Stage]) -> None:
        """Make sure every stage has at least one opportunity (small seeds could miss one)."""
        for stage in self.stages:
            if any(o.path[-1].id == stage.id for o in self.opps):
                continue
            counts: dict[int, int] = {}
            for o in self.opps:
                counts[o.path[-1].id] = counts.get(o.path[-1].id, 0) + 1
            donors = [o for o in self.opps if counts[o.path[-1].id] > 1]
            if stage.kind == StageKind.OPEN:
                donor = donors[-1]  # the most recent one
                k = open_stages.index(stage)
                donor.path = open_stages[: k + 1]
            else:
                donor = donors[0]  # the oldest one
                donor.path = [*open_stages, stage]

    def schedule(self, opp: _Opp) -> None:
        """Times of the stage changes: creation, then forward moves, all before now."""
        created = opp.row.created_at
        gaps = [min(max(self.rng.lognormvariate(math.log(9), 0.8), 0.5), 75)
                for _ in opp.path[1:]]
        budget = (self.now - timedelta(minutes=30) - created).total_seconds()
        total = sum(gaps) * 86400
        scale = min(1.0, 0.95 * budget / total) if total else 1.0
        limit = self.now - timedelta(minutes=30)
        times = [created]
        for gap in gaps:
            days = gap * scale
            target = times[-1] + timedelta(seconds=int(days * 86400))
            moment = self.at_work(target) if days >= 1 else target
            if moment <= times[-1]:
                moment = times[-1] + timedelta(minutes=self.rng.randint(20, 180))
            times.append(moment)
        if times[-1] > limit:  # a very recent deal: spread its moves evenly up to now
            span = (limit - created).total_seconds()
            n = len(times) - 1
            times = [created + timedelta(seconds=int(span * i / n)) for i in range(n + 1)]
        opp.times = times
        final, last = opp.path[-1], times[-1]
        row = opp.row
        row.stage_id = final.id
        row.stage_entered_at = last
        row.updated_at = last if len(times) > 1 else None
        if final.kind == StageKind.OPEN:
            expected = (created + timedelta(days=self.rng.randint(20, 90))).date()
            if expected < self.now.date() and self.rng.random() < 0.7:
                expected = self.now.date() + timedelta(days=self.rng.randint(5, 45))
            row.expected_close = expected
        else:
            row.closed_at = last
            row.expected_close = last.date()
            if final.kind == StageKind.LOST and "lost_reason" in (final.required_fields or []):
                row.lost_reason = self.pick(LOST_REASONS)
            elif final.kind == StageKind.LOST:
                row.lost_reason = "Cancelada por el cliente"
        by = opp.account.owner.id
        prev: Stage | None = None
        for stage, when in zip(opp.path, times, strict=True):
            opp.changes.append(StageChange(
                from_stage_id=prev.id if prev else None, to_stage_id=stage.id, changed_at=when,
                changed_by_id=by, owner_id=row.owner_id, team_id=row.team_id))
            prev = stage

    # --- activities ---------------------------------------------------------------------

    def activity(self, kind: str, subject: str, owner_id: int, team_id: int | None,
                 created: datetime, *, due: datetime | None = None, done: datetime | None = None,
                 description: str = "", **links: Any) -> None:
        row = Activity(kind=kind, subject=subject, description=description, due_at=due,
                       done_at=done, owner_id=owner_id, team_id=team_id, created_by_id=owner_id,
                       created_at=created, source="manual")
        self.acts.append(_Act(row=row, **links))

    def plan_activities(self) -> None:
        now = self.now
        for opp in self.opps:
            row, acc, contact = opp.row, opp.account, opp.contact
            o, t = row.owner_id, row.team_id
            links = {"opp": opp, "account": acc, "contact": contact}
            first = opp.times[0] + timedelta(hours=self.rng.randint(1, 48))
            first = min(first, now - timedelta(minutes=20))
            kind = self.pick((ActivityKind.CALL, ActivityKind.MEETING), (60, 40))
            subject = "Llamada de descubrimiento" if kind == ActivityKind.CALL else \
                "Reunión inicial con el cliente"
            self.activity(kind, subject, o, t, opp.times[0], due=first, done=first, **links)
            for stage, when in zip(opp.path[1:], opp.times[1:], strict=True):
                if self.rng.random() > 0.3:
                    continue
                if stage.name == "Oferta presentada":
                    self.activity(ActivityKind.EMAIL, "Envío de la oferta", o, t, when,
                                  done=when, **links)
                elif stage.name == "En negociación":
                    self.activity(ActivityKind.MEETING, "Reunión para revisar condiciones", o, t,
                                  when, due=when, done=when, **links)
                elif stage.kind == StageKind.WON:
                    self.activity(ActivityKind.NOTE, "Pedido confirmado", o, t, when, done=when,
                                  description="El cliente firma la propuesta.", **links)
                else:
                    self.activity(ActivityKind.NOTE, "Oportunidad cerrada sin venta", o, t, when,
                                  done=when, description=row.lost_reason, **links)
            if opp.path[-1].kind == StageKind.OPEN:
                last = opp.times[-1]
                due = self.at_work(last + timedelta(days=self.rng.randint(2, 21)))
                kind = self.pick((ActivityKind.TASK, ActivityKind.CALL), (60, 40))
                subject = {"En análisis": "Preparar propuesta",
                           "Oferta presentada": "Seguimiento de la oferta",
                           "En negociación": "Cerrar condiciones finales"}.get(
                               opp.path[-1].name, "Seguimiento")
                if due < now and self.rng.random() < 0.35:  # done, late
                    self.activity(kind, subject, o, t, last, due=due,
                                  done=min(due + timedelta(days=1), now - timedelta(minutes=5)),
                                  **links)
                else:  # pending: overdue when due < now
                    self.activity(kind, subject, o, t, last, due=due, **links)
        for lead in self.leads:
            row = lead.row
            links = {"lead": lead}
            if row.first_contacted_at and self.rng.random() < 0.4:
                kind = self.pick((ActivityKind.CALL, ActivityKind.EMAIL), (70, 30))
                subject = "Primer contacto" if kind == ActivityKind.CALL else \
                    "Correo de presentación"
                self.activity(kind, subject, row.owner_id, row.team_id, row.first_contacted_at,
                              due=row.first_contacted_at, done=row.first_contacted_at, **links)
            if row.status == LeadStatus.NUEVO and self.rng.random() < 0.7:
                due = self.at_work(row.created_at + timedelta(days=self.rng.randint(0, 3)))
                self.activity(ActivityKind.CALL, "Llamar al lead", row.owner_id, row.team_id,
                              row.created_at, due=due, **links)
            if row.status == LeadStatus.CUALIFICADO and self.rng.random() < 0.5:
                due = self.at_work(now + timedelta(days=self.rng.randint(-5, 14)))
                self.activity(ActivityKind.TASK, "Preparar propuesta", row.owner_id,
                              row.team_id, row.first_contacted_at or row.created_at, due=due,
                              **links)
        for acc in self.accounts:
            if self.rng.random() < 0.2:
                when = self.created_time((now - acc.row.created_at).days + 0.1, 0.5, growth=0)
                self.activity(ActivityKind.NOTE, "Nota sobre el cliente", acc.owner.id,
                              acc.owner.team_id, when, done=when,
                              description=self.pick(NOTE_TEXTS), account=acc)
        self.acts.sort(key=lambda a: (a.row.created_at, a.row.subject))
        for act in self.acts:
            if act.opp is not None:
                moment = act.row.done_at or act.row.created_at
                current = act.opp.row.last_activity_at
                if moment <= now and (current is None or moment > current):
                    act.opp.row.last_activity_at = moment

    # --- quotes -------------------------------------------------------------------------

    def plan_quotes(self, compute: Any, org: Any) -> None:
        """Quotes for some deals that reached "Oferta presentada" (a few revised as v2 in
        negotiation) and drafts for some deals still in analysis. The last version's status
        follows the deal: won = aceptado, lost = rechazado (or caducado), open = enviado."""
        open_stages = [st for st in self.stages if st.kind == StageKind.OPEN]
        first, offer = open_stages[0], open_stages[1]
        today = self.now.date()
        by_sku = {p.sku: p for p in self.products}
        for opp in self.opps:
            if len(opp.path) >= 2 and opp.path[1].id == offer.id:
                if self.rng.random() > 0.36:
                    continue
                moments = [opp.times[1]]
                if (len(opp.path) >= 3 and opp.path[2].kind == StageKind.OPEN
                        and self.rng.random() < 0.25):
                    moments.append(opp.times[2])
                draft = False
            elif opp.path[-1].id == first.id and self.rng.random() < 0.3:
                moments = [min(opp.times[0] + timedelta(hours=self.rng.randint(2, 72)),
                               self.now - timedelta(minutes=15))]
                draft = True
            else:
                continue
            lines = self.quote_lines(opp, by_sku)
            global_discount = self.pick((Decimal("0"), Decimal("3"), Decimal("5")), (80, 10, 10))
            for version, moment in enumerate(moments, start=1):
                if version > 1:  # the revision: a better price to close the deal
                    global_discount = min(global_discount + Decimal("5"), Decimal("10"))
                totals = compute(lines, global_discount_pct=global_discount,
                                 recargo_equivalencia=opp.account.row.recargo_equivalencia,
                                 irpf_pct=org.default_irpf_pct)
                issued = to_local(moment).date()
                row = Quote(
                    number="", year=0, seq=0, version=version, status=QuoteStatus.ENVIADO,
                    issue_date=issued, valid_until=issued + timedelta(days=org.quote_validity_days),
                    global_discount_pct=global_discount,
                    recargo_equivalencia=opp.account.row.recargo_equivalencia,
                    irpf_pct=org.default_irpf_pct, conditions=org.quote_conditions,
                    base_total=totals.base, tax_total=totals.tax,
                    recargo_total=totals.recargo_total, irpf_total=totals.irpf,
                    total=totals.total, sent_at=None if draft else moment,
                    owner_id=opp.row.owner_id, team_id=opp.row.team_id, created_at=moment,
                    updated_at=moment)
                line_rows = [self.quote_line_row(i, ln, totals.line_bases[i])
                             for i, ln in enumerate(lines)]
                opp.quotes.append(_Quote(row=row, lines=line_rows))
            for older, newer in zip(opp.quotes, opp.quotes[1:], strict=False):
                older.row.status = QuoteStatus.RECHAZADO
                older.row.decided_at = newer.row.created_at
                older.row.updated_at = newer.row.created_at
            last = opp.quotes[-1].row
            final = opp.path[-1]
            if draft:
                last.status = QuoteStatus.BORRADOR
            elif final.kind == StageKind.WON:
                last.status, last.decided_at = QuoteStatus.ACEPTADO, opp.row.closed_at
            elif final.kind == StageKind.LOST:
                assert opp.row.closed_at is not None
                if to_local(opp.row.closed_at).date() > last.valid_until:
                    last.status = QuoteStatus.CADUCADO
                else:
                    last.status, last.decided_at = QuoteStatus.RECHAZADO, opp.row.closed_at
            elif last.valid_until < today:
                last.status = QuoteStatus.CADUCADO
            last.updated_at = last.decided_at or last.updated_at
            opp.row.amount = last.base_total  # the deal is worth what was last quoted
        self.number_quotes()

    def quote_lines(self, opp: _Opp, by_sku: dict[str, Product]) -> list[dict[str, Any]]:
        assert opp.product is not None
        chosen = [(opp.product, opp.qty, opp.discount_pct)]
        extras = [sku for sku in ("SV-INST-PEM", "SV-SOP-10H", "FO-FUNDAE", "FO-RGPD",
                                  "SV-BKP-1TB", "HS-CATER-PAX", "ED-MANUAL")
                  if sku != opp.product.sku]
        for sku in self.rng.sample(extras, self.pick((0, 1, 2), (45, 35, 20))):
            lo, hi = self.product_qty[sku]
            chosen.append((by_sku[sku], self.rng.randint(lo, min(hi, lo + 3)), Decimal("0")))
        return [{"product": p, "quantity": Decimal(qty), "unit_price": p.unit_price,
                 "discount_pct": disc, "tax_rate": p.tax_rate, "tax_exempt": p.tax_exempt}
                for p, qty, disc in chosen]

    @staticmethod
    def quote_line_row(position: int, line: dict[str, Any], base: Decimal) -> QuoteLine:
        product: Product = line["product"]
        extra = {k: v for k, v in (("tax_exempt", product.tax_exempt), ("unit", product.unit))
                 if k in QuoteLine.model_fields}  # columns being added by the quotes work
        return QuoteLine(position=position, product_id=product.id, description=product.name,
                         quantity=line["quantity"], unit_price=line["unit_price"],
                         discount_pct=line["discount_pct"], tax_rate=line["tax_rate"],
                         line_base=base, **extra)

    def number_quotes(self) -> None:
        """P-YYYY-NNNN by issue date; a revision keeps the number of its first version."""
        firsts = sorted((o.quotes[0].row for o in self.opps if o.quotes),
                        key=lambda q: q.created_at)
        seq_by_year: dict[int, int] = {}
        for q in firsts:
            year = q.issue_date.year
            seq_by_year[year] = seq_by_year.get(year, 0) + 1
            q.year, q.seq = year, seq_by_year[year]
            q.number = f"P-{year}-{q.seq:04d}"
        for opp in self.opps:
            for q in opp.quotes[1:]:
                head = opp.quotes[0].row
                q.row.number, q.row.year, q.row.seq = head.number, head.year, head.seq

    # --- writing ------------------------------------------------------------------------

    def write(self) -> None:
        s = self.session
        s.add_all([lead.row for lead in self.leads])
        s.flush()
        for acc in self.accounts:
            if acc.lead is not None:
                acc.row.lead_id = acc.lead.row.id
        self.accounts.sort(key=lambda a: a.row.created_at)
        s.add_all([a.row for a in self.accounts])
        s.flush()
        contacts = [c for a in self.accounts for c in a.contacts]
        for c in contacts:
            c.row.account_id = c.account.row.id
            if c.account.lead is not None and c is c.account.lead.contact:
                c.row.lead_id = c.account.lead.row.id
        s.add_all([c.row for c in contacts])
        s.flush()
        for opp in self.opps:
            opp.row.account_id = opp.account.row.id
            opp.row.contact_id = opp.contact.row.id if opp.contact else None
            opp.row.lead_id = opp.lead.row.id if opp.lead else None
        s.add_all([o.row for o in self.opps])
        s.flush()
        changes = []
        for opp in self.opps:
            for ch in opp.changes:
                ch.opportunity_id = opp.row.id
                changes.append(ch)
        s.add_all(changes)
        for lead in self.leads:
            if lead.account is not None:
                lead.row.converted_account_id = lead.account.row.id
                lead.row.converted_contact_id = lead.contact.row.id if lead.contact else None
                lead.row.converted_opportunity_id = (
                    lead.opportunity.row.id if lead.opportunity else None)
        for act in self.acts:
            r = act.row
            r.lead_id = act.lead.row.id if act.lead else None
            r.account_id = act.account.row.id if act.account else None
            r.contact_id = act.contact.row.id if act.contact else None
            r.opportunity_id = act.opp.row.id if act.opp else None
        s.add_all([a.row for a in self.acts])
        quotes = sorted((q for o in self.opps for q in o.quotes),
                        key=lambda q: (q.row.created_at, q.row.version))
        if quotes:
            for opp in self.opps:
                for q in opp.quotes:
                    q.row.account_id = opp.account.row.id
                    q.row.contact_id = opp.contact.row.id if opp.contact else None
                    q.row.opportunity_id = opp.row.id
            s.add_all([q.row for q in quotes])
            s.flush()
            for q in quotes:
                for line in q.lines:
                    line.quote_id = q.row.id
            s.add_all([line for q in quotes for line in q.lines])
        s.flush()


@needs_actor
def load_demo(*, session: Session, actor: Actor, seed: int = 2026,
              now: datetime | None = None) -> dict[str, int]:
    """Load the demo company, users and three years of history; return the counts per entity.

    ``crm seed demo`` and ``crm run`` pass ``actors.SYSTEM``; the actor must be allowed to
    manage users (the demo creates them) and is who the audit trail names.
    Refuses (``Conflict``) when the demo users or catalogue are already there. ``now`` is the
    reference moment the history ends at (default: today's midnight UTC, see
    ``reference_now``). Commits once at the end.
    """
    require(actor, Perm.USERS_MANAGE)
    if session.exec(select(User.id).where(User.email.in_(DEMO_EMAILS))).first() is not None:
        raise Conflict("Los datos de demostración ya están cargados (existen los usuarios demo).")
    skus = [c[0] for c in CATALOGUE]
    if session.exec(select(Product.id).where(Product.sku.in_(skus))).first() is not None:
        raise Conflict("El catálogo de demostración ya existe.")
    now = now or reference_now()
    if now.tzinfo is None:
        raise ValueError("now must be an aware UTC datetime")
    builder = _DemoBuilder(session, seed, now.astimezone(UTC))
    try:
        counts = builder.run()
        audit.record(session=session, actor=actor, entity="demo", entity_id=None, action="seed",
                     after={"seed": seed, "now": now.isoformat(), **counts},
                     note="Datos de demostración cargados")
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return counts


def demo_logins() -> list[tuple[str, str, str | None]]:
    """(email, role, team) of every demo user, for the README, ``make run`` and tests."""
    return [(f"{login}@{DEMO_DOMAIN}", str(role), team) for login, role, team, _ in DEMO_USERS]


__all__ = ["CATALOGUE", "DEMO_EMAILS", "DEMO_PASSWORD", "DEMO_USERS", "PROVINCES",
           "database_is_empty", "demo_logins", "demo_password_hash", "load_demo",
           "reference_now"]
