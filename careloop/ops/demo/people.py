"""Realistic made-up people: Chinese names, resident ID numbers, mobiles and addresses that agree.

Pure Python with a seeded ``random.Random``: the same seed gives the same people. Nothing here
touches the database; the demo loaders turn these into clients.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from careloop.lib.identity import make_id_number
from careloop.ops.demo import reference as ref

SURNAME_PINYIN: dict[str, str] = {surname: pinyin for surname, pinyin, _w in ref.SURNAMES}


T = TypeVar("T")
SINGLE_CHAR_SHARE = {"old": 0.15, "mid": 0.35, "young": 0.4, "new": 0.12}  # given names of one character


@dataclass(frozen=True)
class City:
    name: str
    districts: tuple[tuple[str, str], ...]
    lane_style: bool  # Shanghai writes 弄/号/室, Beijing 号院/号楼/单元/室


BEIJING = City("北京市", ref.BEIJING_DISTRICTS, lane_style=False)
SHANGHAI = City("上海市", ref.SHANGHAI_DISTRICTS, lane_style=True)


@dataclass(frozen=True)
class Person:
    name: str
    surname: str
    sex: str
    birth_date: dt.date
    id_number: str
    phone: str
    address: str
    email: str


def _cumulative(weights: list[float]) -> list[float]:
    return list(itertools.accumulate(weights))


class PeopleGenerator:
    """Draws people for one or more cities; resident ID numbers are unique across everything it drew."""

    def __init__(self, rng: random.Random, today: dt.date, *, taken_ids: set[str] | None = None) -> None:
        self.rng = rng
        self.today = today
        self._surnames = [s for s, _p, _w in ref.SURNAMES]
        self._surname_cum = _cumulative([w for _s, _p, w in ref.SURNAMES])
        self._prefixes = [p for p, _w in ref.MOBILE_PREFIXES]
        self._prefix_cum = _cumulative([w for _p, w in ref.MOBILE_PREFIXES])
        # First 17 characters as an int: compact enough to remember a million of them.
        self._used: set[int] = {int(n[:17]) for n in (taken_ids or ())}

    # --- pieces -------------------------------------------------------------------------------
    def surname(self) -> str:
        return self.rng.choices(self._surnames, cum_weights=self._surname_cum)[0]

    def pick(self, seq: Sequence[T]) -> T:
        """rng.choice without its rejection sampling: a third of the cost, and bias-free enough here."""
        return seq[int(self.rng.random() * len(seq))]

    def given_name(self, sex: str, birth_year: int) -> str:
        era = next(key for limit, key in ref.ERAS if birth_year < limit)
        random_ = self.rng.random
        if random_() < 0.35:
            return self.pick(ref.GIVEN_NAMES[(era, sex)])
        chars = ref.GIVEN_CHARS[(era, sex)]
        if random_() < SINGLE_CHAR_SHARE[era]:
            return self.pick(chars)
        first = self.pick(chars)
        second = self.pick(chars)
        while second == first:
            second = self.pick(chars)
        return first + second

    def birth_date(self, *, earliest: dt.date | None = None, latest: dt.date | None = None) -> dt.date:
        """Adults seen at checkup centres: 18 to 90, most between 35 and 65."""
        if earliest is None and latest is None:
            age_days = int(self.rng.triangular(18, 90, 46) * 365.25)
            return dt.date.fromordinal(self.today.toordinal() - age_days)
        lo = (earliest or dt.date(1936, 1, 1)).toordinal()
        hi = min((latest or self.today).toordinal(), self.today.toordinal())
        return dt.date.fromordinal(self.rng.randint(lo, max(lo, hi)))

    def id_number(self, city: City, birth: dt.date, sex: str) -> str:
        """A valid, unused number: local registration two times in three, else a migrant's home region."""
        random_ = self.rng.random
        for _attempt in range(50):
            region = self.pick(city.districts)[0] if random_() < 0.65 else self.pick(ref.MIGRANT_REGIONS)
            number = make_id_number(region, birth, int(random_() * 500), sex)
            key = int(number[:17])
            if key not in self._used:
                self._used.add(key)
                return number
        raise RuntimeError("could not find an unused resident ID number")  # pragma: no cover - 50 draws of 15,000

    def mobile(self) -> str:
        prefix = self.rng.choices(self._prefixes, cum_weights=self._prefix_cum)[0]
        return f"{prefix}{int(self.rng.random() * 100_000_000):08d}"

    def address(self, city: City, district: str | None = None) -> str:
        r = self.rng.random
        district = district or self.pick(city.districts)[1]
        street = self.pick(ref.STREETS[district])
        number, floor, room = 1 + int(r() * 399), 1 + int(r() * 28), 1 + int(r() * 8)
        if city.lane_style:
            return f"{city.name}{district}{street}{number}弄{1 + int(r() * 60)}号{floor}{room:02d}室"
        return f"{city.name}{district}{street}{number}号院{1 + int(r() * 20)}号楼{1 + int(r() * 6)}单元{floor}{room:02d}室"

    def email(self, surname: str, birth: dt.date) -> str:
        rng = self.rng
        domain = rng.choice(ref.EMAIL_DOMAINS)
        if domain in ("qq.com", "foxmail.com"):
            return f"{rng.randint(10_000_000, 2_999_999_999)}@{domain}"
        return f"{SURNAME_PINYIN[surname]}{birth:%y%m%d}{rng.randint(0, 99):02d}@{domain}"

    # --- whole people -------------------------------------------------------------------------
    def person(self, city: City, *, sex: str | None = None, surname: str | None = None,
               earliest: dt.date | None = None, latest: dt.date | None = None, address: str | None = None) -> Person:
        rng = self.rng
        sex = sex or ("male" if rng.random() < 0.52 else "female")
        surname = surname or self.surname()
        birth = self.birth_date(earliest=earliest, latest=latest)
        age = (self.today - birth).days // 365
        email = self.email(surname, birth) if age < 60 and rng.random() < 0.4 else ""
        return Person(
            name=surname + self.given_name(sex, birth.year), surname=surname, sex=sex, birth_date=birth,
            id_number=self.id_number(city, birth, sex), phone=self.mobile(),
            address=address or self.address(city), email=email,
        )

    def spouse_of(self, person: Person, city: City) -> Person:
        """Opposite sex, a few years apart, same home."""
        offset = self.rng.randint(-3, 6) * (1 if person.sex == "male" else -1)
        birth = person.birth_date + dt.timedelta(days=offset * 365 + self.rng.randint(-150, 150))
        return self.person(city, sex="female" if person.sex == "male" else "male", earliest=birth, latest=birth,
                           address=person.address)

    def child_of(self, father: Person, city: City) -> Person:
        """An adult child carrying the father's surname, born when the father was 22 to 36."""
        earliest = father.birth_date + dt.timedelta(days=22 * 366)
        latest = min(father.birth_date + dt.timedelta(days=36 * 365), self.today - dt.timedelta(days=18 * 366))
        return self.person(city, surname=father.surname, earliest=earliest, latest=max(earliest, latest))
