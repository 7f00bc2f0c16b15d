"""Chinese resident ID numbers and mainland mobile numbers: validation and normalisation.

Resident ID (GB 11643-1999): 6-digit region code, 8-digit birth date, 3-digit sequence whose
last digit is odd for men and even for women, and an ISO 7064 MOD 11-2 check character.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
# First two digits of the region code: provinces, autonomous regions, municipalities, and
# 71/81/82/83 (Taiwan, Hong Kong, Macao residence permits).
PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
     53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
)
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


class IdentityError(ValueError):
    """A value is not a valid identity number; ``message`` says why (translatable)."""

    def __init__(self, message: object) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: dt.date
    sex: str  # "male" | "female"
    region: str


def id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def normalize_id_number(raw: str) -> str:
    return re.sub(r"\s+", "", raw or "").upper()


def parse_id_number(raw: str, *, today: dt.date | None = None) -> ResidentId:
    """Validate an 18-character resident ID number and return what it encodes."""
    number = normalize_id_number(raw)
    if len(number) != 18:
        raise IdentityError(_("must have 18 characters (it has %(n)d)") % {"n": len(number)})
    if not _ID_SHAPE.match(number):
        raise IdentityError(_("must be 17 digits followed by a digit or X"))
    if int(number[:2]) not in PROVINCE_CODES:
        raise IdentityError(_("region code %(code)s is not a Chinese province code") % {"code": number[:6]})
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdentityError(_("birth date %(d)s is not a real date") % {"d": number[6:14]}) from None
    today = today or timezone.localdate()
    if birth > today or birth.year < 1890:
        raise IdentityError(_("birth date %(d)s is impossible") % {"d": birth.isoformat()})
    expected = id_check_char(number[:17])
    if number[17] != expected:
        raise IdentityError(_("check character is wrong (expected %(c)s)") % {"c": expected})
    sex = "male" if int(number[16]) % 2 == 1 else "female"
    return ResidentId(number=number, birth_date=birth, sex=sex, region=number[:6])


def normalize_mobile(raw: str) -> str:
    digits = re.sub(r"[\s\-()]", "", raw or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits


def parse_mobile(raw: str) -> str:
    """Validate a mainland mobile number; return its 11 digits."""
    number = normalize_mobile(raw)
    if not number.isdigit():
        raise IdentityError(_("may contain only digits (and an optional +86)"))
    if len(number) != 11:
        raise IdentityError(_("must have 11 digits (it has %(n)d)") % {"n": len(number)})
    if not _MOBILE.match(number):
        raise IdentityError(_("is not a mainland mobile number (must start with 13–19)"))
    return number


def mask_mobile(number: str | None) -> str:
    if not number:
        return ""
    if len(number) < 8:
        return "*" * len(number)
    return f"{number[:3]}{'*' * (len(number) - 7)}{number[-4:]}"


def mask_id_number(number: str | None) -> str:
    if not number:
        return ""
    if len(number) < 8:
        return "*" * len(number)
    return f"{number[:3]}{'*' * (len(number) - 7)}{number[-4:]}"


def mask_address(address: str | None) -> str:
    """Keep the first six characters (province/city), hide the rest."""
    if not address:
        return ""
    keep = min(6, max(1, len(address) // 3))
    return address[:keep] + "*" * 4


def make_id_number(region: str, birth: dt.date, sequence: int, sex: str) -> str:
    """Build a valid ID number (demo data and tests). ``sequence`` 0–499 picks the 3-digit code."""
    seq = (sequence % 500) * 2 + (1 if sex == "male" else 0)
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_char(first17)
