"""The vectorised email/phone/NIF checks give exactly what the per-value normalisers give
(python-stdnum, phonenumbers, email-validator): same normal form, same Spanish message."""

from __future__ import annotations

import random

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_app.services.importing.checks import check_emails, check_nifs, check_phones
from crm_app.services.normalize import (
    EMAIL_INVALID,
    email_is_valid,
    normalize_email,
    normalize_nif,
    normalize_phone,
)

DNI = "TRWAGMYFPDXBNJZSQVHLCKE"


def expected(fn, value: str | None) -> tuple[str | None, str | None]:  # noqa: ANN001
    if value is None or not str(value).strip():
        return None, None
    try:
        return fn(value) or None, None
    except ValueError as exc:
        return None, str(exc)


def expected_email(value: str | None) -> tuple[str | None, str | None]:
    norm = normalize_email(value)
    if not norm:
        return None, None
    return (norm, None) if email_is_valid(norm) else (None, EMAIL_INVALID)


def assert_agree(check, reference, values: list[str | None]) -> None:  # noqa: ANN001
    normal, error = check(pl.Series("v", values, dtype=pl.String))
    got = list(zip(normal.to_list(), error.to_list(), strict=True))
    want = [reference(v) for v in values]
    diffs = [(v, g, w) for v, g, w in zip(values, got, want, strict=True) if g != w]
    assert not diffs, diffs[:10]


def random_phones(rnd: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        digits = "".join(rnd.choice("0123456789") for _ in range(9))
        first = rnd.choice("6789512340")
        digits = first + digits[1:]
        shape = rnd.randrange(8)
        out.append([
            digits, f"+34 {digits[:3]} {digits[3:6]} {digits[6:]}", "0034" + digits,
            f"({digits[:3]}) {digits[3:5]}-{digits[5:7]}.{digits[7:]}", digits[:rnd.randint(3, 8)],
            digits + rnd.choice("0123456789"), "34" + digits, f"+{rnd.randint(1, 99)}{digits}",
        ][shape])
    return out


def nie(rnd: random.Random) -> str:
    x = rnd.choice("XYZ")
    n = rnd.randrange(10**7)
    return f"{x}{n:07d}{DNI[int(str('XYZ'.index(x)) + f'{n:07d}') % 23]}"


def random_nifs(rnd: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        k = rnd.randrange(8)
        num = rnd.randrange(10**8)
        if k == 0:
            out.append(f"{num:08d}{DNI[num % 23]}")
        elif k == 1:
            out.append(f"{num:08d}{rnd.choice(DNI)}")
        elif k == 2:
            out.append(nie(rnd))
        elif k in (3, 4):  # CIF or K/L/M: the check char is right about 1 time in 10
            out.append(rnd.choice("ABCDEFGHJNPQRSUVWKLM") + f"{rnd.randrange(10**7):07d}"
                       + rnd.choice("0123456789ABCDEFGHIJ"))
        elif k == 5:
            out.append(f"es-{num:08d}-{DNI[num % 23].lower()}")
        elif k == 6:
            out.append(f"{num:08d}.{DNI[num % 23]} ")
        else:
            out.append("".join(rnd.choice("0123456789ABXZES.- /")
                               for _ in range(rnd.randint(1, 13))))
    return out


def test_phones_agree_with_phonenumbers() -> None:
    assert_agree(check_phones, lambda v: expected(normalize_phone, v),
                 [*random_phones(random.Random(1), 3000), None, "", "  ", "600 12 34 56",
                  "+34 91 123 45 67", "900 100 200", "+44 20 7946 0958", "600123456.0",
                  "abc", "+34 (0) 600 123 456"])


def test_nifs_agree_with_python_stdnum() -> None:
    assert_agree(check_nifs, lambda v: expected(normalize_nif, v),
                 [*random_nifs(random.Random(2), 4000), None, "", "--", "B12345674",
                  "b-1234567-4", "ESB12345674", "X5253868R", "M1234567L", "K0000000T",
                  "12345678z", "1234567Z", "B1234567X"])


def test_emails_agree_with_email_validator() -> None:
    rnd = random.Random(3)
    pieces = ["ana", "Luis.Perez", "a..b", ".x", "x.", "o'neil", "ñu", "a+b", "-", "_", ""]
    domains = ["x.es", "Empresa.COM", "-bad.es", "bad-.es", "ab--cd.com", "xn--bcher-kva.com",
               "localhost", "a.test", "a.local", "sub.dominio.es", "x.c0m", "x.c", "1.2.3.4",
               "x" * 64 + ".es", ""]
    values = [f"{rnd.choice(pieces)}{rnd.choice(['@', '@@', ''])}{rnd.choice(domains)}"
              for _ in range(1500)]
    values += [" Ana@X.es ", "a" * 65 + "@x.es", "a@" + "b." * 130 + "es", None, "",
               '"q"@x.es', "ana@x.es.", "ana @x.es"]
    assert_agree(check_emails, expected_email, values)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="0123456789 +-().XYZBAKLMES", max_size=16), max_size=40))
def test_phone_and_nif_checks_agree_on_any_text(values: list[str]) -> None:
    assert_agree(check_phones, lambda v: expected(normalize_phone, v), values)
    assert_agree(check_nifs, lambda v: expected(normalize_nif, v), values)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.from_regex(r"[a-zA-Z0-9.+_'ñ-]{0,10}@{0,2}[a-zA-Z0-9.-]{0,12}",
                              fullmatch=True), max_size=30))
def test_email_check_agrees_on_any_text(values: list[str]) -> None:
    assert_agree(check_emails, expected_email, values)
