"""The realistic small demo world, built through the same service functions the app uses.

Every write goes through ``careloop.<app>.services`` (so permission checks run and audit rows are
written), except the very first unit and administrator, which have nobody to act for them; those two
get their audit rows written here with no actor.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from careloop.audit.services import audit_record
from careloop.clients import services as client_services
from careloop.clients.models import (
    AssignmentKind,
    Channel,
    Client,
    ClientStatus,
    ConsentMethod,
    ConsentPurpose,
    FamilyLink,
    Relation,
)
from careloop.core.demo import Output
from careloop.ops.demo import reference as ref
from careloop.ops.demo.people import BEIJING, SHANGHAI, City, PeopleGenerator, Person
from careloop.org import services as org_services
from careloop.org.models import OrgUnit, Role, RoleGrant, Team, TeamKind, UnitKind, User

HQ_CODE = "hq"


@dataclass(frozen=True)
class StaffSpec:
    username: str
    display_name: str
    roles: tuple[str, ...]
    unit: str  # unit code


# The CONTRACT usernames first; the others fill the teams so that scoping has somebody to compare with.
STAFF: tuple[StaffSpec, ...] = (
    StaffSpec("admin", "孙立新", (Role.ADMIN,), "hq"),
    StaffSpec("auditor", "周慧敏", (Role.AUDITOR,), "hq"),
    StaffSpec("manager", "陈建华", (Role.MANAGER,), "hq"),
    StaffSpec("nurse", "刘静", (Role.FOLLOWUP,), "bj"),
    StaffSpec("lead", "王晓燕", (Role.LEAD,), "bj"),
    StaffSpec("expert", "张国栋", (Role.EXPERT,), "bj"),
    StaffSpec("doctor", "李志强", (Role.DOCTOR,), "bj"),
    StaffSpec("nutritionist", "吴佳", (Role.NUTRITIONIST,), "bj"),
    StaffSpec("service", "郑晓丽", (Role.SERVICE,), "bj"),
    StaffSpec("clerk", "黄俊杰", (Role.CLERK,), "bj"),
    StaffSpec("inspector", "徐春梅", (Role.INSPECTOR,), "bj"),
    StaffSpec("nurse2", "林雨婷", (Role.FOLLOWUP,), "sh"),
    StaffSpec("nurse3", "赵婷", (Role.FOLLOWUP,), "bj"),
    StaffSpec("lead2", "马丽娟", (Role.LEAD,), "bj"),
    StaffSpec("nurse4", "杨雪", (Role.FOLLOWUP,), "bj"),
    StaffSpec("nurse5", "何倩", (Role.FOLLOWUP,), "bj"),
    StaffSpec("lead_sh", "陆海峰", (Role.LEAD,), "sh"),
    StaffSpec("nurse6", "沈佳怡", (Role.FOLLOWUP,), "sh"),
    StaffSpec("expert2", "顾建伟", (Role.EXPERT,), "sh"),
    StaffSpec("doctor2", "钱文斌", (Role.DOCTOR,), "sh"),
)

UNITS: tuple[tuple[str, str, str, str | None], ...] = (  # code, name, kind, parent code
    ("hq", "总公司", UnitKind.HQ, None),
    ("bj", "北京分公司", UnitKind.BRANCH, "hq"),
    ("bj-cy", "北京朝阳体检中心", UnitKind.SITE, "bj"),
    ("sh", "上海分公司", UnitKind.BRANCH, "hq"),
    ("sh-xh", "上海徐汇体检中心", UnitKind.SITE, "sh"),
)

TEAMS: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (  # name, kind, unit, lead, members
    ("北京随访一组", TeamKind.FOLLOWUP, "bj", "lead", ("nurse", "nurse3")),
    ("北京随访二组", TeamKind.FOLLOWUP, "bj", "lead2", ("nurse4", "nurse5")),
    ("上海随访一组", TeamKind.FOLLOWUP, "sh", "lead_sh", ("nurse2", "nurse6")),
    ("北京专家组", TeamKind.EXPERT, "bj", "expert", ("doctor", "nutritionist")),
    ("上海专家组", TeamKind.EXPERT, "sh", "expert2", ("doctor2",)),
)

# Health managers per branch with their share of the branch's clients: `nurse` carries about 40 of
# the 180 Beijing clients of the default demo, enough for a worklist that looks like a real day.
MANAGERS: dict[str, tuple[tuple[str, float], ...]] = {
    "bj": (("nurse", 40), ("nurse3", 38), ("nurse4", 38), ("nurse5", 36), ("lead", 14), ("lead2", 14)),
    "sh": (("nurse2", 45), ("nurse6", 45), ("lead_sh", 30)),
}
FAMILY_DOCTOR = {"bj": "doctor", "sh": "doctor2"}
SITE_OF = {"bj": "bj-cy", "sh": "sh-xh"}

ENTERPRISES: tuple[tuple[str, str, str, str], ...] = (  # name, branch, contact, street address
    ("北京华信科技有限公司", "bj", "郭明辉", "北京市海淀区上地信息路28号华信大厦"),
    ("上海东方物流股份有限公司", "sh", "陆晓东", "上海市浦东新区金桥路1188号"),
)

STATUS_REASONS = {
    ClientStatus.CURED: "复查指标已恢复正常，结案",
    ClientStatus.DECEASED: "家属来电告知已故",
    ClientStatus.LOST: "连续三次电话未接通，短信无回复",
    ClientStatus.OPTED_OUT: "本人要求不再随访",
}


@dataclass
class DemoWorld:
    units: dict[str, OrgUnit]
    staff: dict[str, User]
    teams: dict[str, Team]
    clients: list[Client] = field(default_factory=list)


def demo_is_loaded() -> bool:
    return OrgUnit.objects.filter(code=HQ_CODE).exists()


def _exact_shares(rng: random.Random, n: int, shares: list[tuple[Any, float]]) -> list[Any]:
    """n values in the given proportions (rounded, remainder to the last), shuffled."""
    total = sum(weight for _value, weight in shares)
    values: list[Any] = []
    for value, weight in shares[:-1]:
        values += [value] * round(n * weight / total)
    values = values[:n]
    values += [shares[-1][0]] * (n - len(values))
    rng.shuffle(values)
    return values


def build_org(*, password: str) -> DemoWorld:
    """Units, staff with roles, teams with leads."""
    # One argon2 hash for everybody: they share the password anyway, and hashing costs ~0.2 s per user.
    password_hash = make_password(password)
    hq = org_services.orgunit_create_raw(name="总公司", kind=UnitKind.HQ, parent=None, code=HQ_CODE)
    audit_record(actor=None, action="org.unit.create", obj=hq, detail={"source": "demo"})
    admin_spec = STAFF[0]
    admin = User.objects.create(username=admin_spec.username, password=password_hash, org_unit=hq,
                                display_name=admin_spec.display_name, is_staff=True)
    RoleGrant.objects.create(user=admin, role=Role.ADMIN)
    audit_record(actor=None, action="org.staff.roles", obj=admin, detail={"roles": [Role.ADMIN], "source": "demo"})
    units = {HQ_CODE: hq}
    for code, name, kind, parent in UNITS[1:]:
        units[code] = org_services.orgunit_create(acting_user=admin, name=name, kind=kind, parent=units[parent or ""],
                                                  code=code)
    staff = {admin.username: admin}
    for spec in STAFF[1:]:
        user = User.objects.create(username=spec.username, password=password_hash, org_unit=units[spec.unit],
                                   display_name=spec.display_name)
        audit_record(actor=admin, action="org.staff.create", obj=user, detail={"unit": units[spec.unit].pk})
        org_services.staff_set_roles(acting_user=admin, user=user, roles=list(spec.roles))
        staff[spec.username] = user
    teams = {}
    for name, kind, unit, lead, members in TEAMS:
        team = Team.objects.create(name=name, kind=kind, org_unit=units[unit], lead=staff[lead])
        audit_record(actor=admin, action="org.team.create", obj=team, detail={"lead": staff[lead].pk})
        for username in (lead, *members):
            org_services.team_add_member(acting_user=admin, team=team, user=staff[username])
        teams[name] = team
    return DemoWorld(units=units, staff=staff, teams=teams)


@dataclass
class _Household:
    city_code: str
    people: list[Person]
    links: list[tuple[int, int, Relation]]  # (index, index of relative, relation of the relative)


def _households(gen: PeopleGenerator, rng: random.Random, city_code: str, city: City, n: int) -> list[_Household]:
    """Singles, couples, a parent with an adult child, and couples with an adult child — n people in all."""
    out: list[_Household] = []
    left = n
    while left > 0:
        shape = rng.choices(["single", "couple", "parent_child", "family"], weights=[60, 22, 9, 9])[0]
        size = {"single": 1, "couple": 2, "parent_child": 2, "family": 3}[shape]
        if size > left:
            shape, size = "single", 1
        if shape == "single":
            out.append(_Household(city_code, [gen.person(city)], []))
        elif shape == "couple":
            first = gen.person(city, earliest=dt.date(1950, 1, 1), latest=dt.date(1998, 12, 31))
            out.append(_Household(city_code, [first, gen.spouse_of(first, city)],
                                  [(0, 1, Relation.SPOUSE), (1, 0, Relation.SPOUSE)]))
        else:
            parent = gen.person(city, sex="male" if shape == "family" or rng.random() < 0.5 else "female",
                                earliest=dt.date(1940, 1, 1), latest=dt.date(1970, 12, 31))
            child = gen.child_of(parent, city) if parent.sex == "male" else gen.person(
                city, earliest=parent.birth_date + dt.timedelta(days=22 * 366),
                latest=parent.birth_date + dt.timedelta(days=38 * 365))
            people = [parent, child]
            links = [(1, 0, Relation.PARENT), (0, 1, Relation.CHILD)]
            if shape == "family":
                people.append(gen.spouse_of(parent, city))
                links += [(0, 2, Relation.SPOUSE), (2, 0, Relation.SPOUSE), (1, 2, Relation.PARENT),
                          (2, 1, Relation.CHILD)]
            out.append(_Household(city_code, people, links))
        left -= size
    return out


def _client_data(person: Person, rng: random.Random, branch: OrgUnit, tier: str, today: dt.date,
                 emergency: Person | None) -> dict[str, Any]:
    age = (today - person.birth_date).days // 365
    channels = [Channel.PHONE]
    if age < 70:
        channels.append(Channel.WECHAT if rng.random() < 0.7 else Channel.SMS)
    if person.email and rng.random() < 0.3:
        channels.append(Channel.EMAIL)
    data: dict[str, Any] = {
        "name": person.name, "sex": person.sex, "birth_date": person.birth_date, "id_number": person.id_number,
        "phone": person.phone, "address": person.address, "email": person.email, "branch": branch, "tier": tier,
        "is_vip": (tier == "A" and rng.random() < 0.35) or (tier == "B" and rng.random() < 0.04),
        "preferred_channels": channels, "contact_hours": rng.choice(ref.CONTACT_HOURS),
    }
    if emergency is not None:
        data["emergency_contact_name"] = emergency.name
        data["emergency_contact_phone"] = emergency.phone
    return data


def build_clients(world: DemoWorld, *, n: int, rng: random.Random, gen: PeopleGenerator) -> list[Client]:
    """n clients (60% Beijing, 40% Shanghai) with families, assignments, consents and a few closed records."""
    admin = world.staff["admin"]
    today = timezone.localdate()
    n_bj = round(n * 0.6)
    households = (_households(gen, rng, "bj", BEIJING, n_bj)
                  + _households(gen, rng, "sh", SHANGHAI, n - n_bj))
    rng.shuffle(households)
    tiers = _exact_shares(rng, n, [("A", 20), ("B", 30), ("C", 50)])
    statuses = _exact_shares(rng, n, [(ClientStatus.CURED, 3), (ClientStatus.DECEASED, 1), (ClientStatus.LOST, 2),
                                      (ClientStatus.OPTED_OUT, 1), (ClientStatus.ACTIVE, 93)])
    clients: list[Client] = []
    by_city: dict[str, list[Client]] = {"bj": [], "sh": []}
    for household in households:
        branch = world.units[household.city_code]
        site = world.units[SITE_OF[household.city_code]]
        created: list[Client] = []
        for index, person in enumerate(household.people):
            age = (today - person.birth_date).days // 365
            relatives = [household.people[j] for i, j, _rel in household.links if i == index]
            emergency = relatives[0] if relatives else (gen.person(BEIJING if household.city_code == "bj" else SHANGHAI)
                                                        if age >= 65 else None)
            data = _client_data(person, rng, site if rng.random() < 0.65 else branch, tiers[len(clients)], today,
                                emergency)
            client = client_services.client_create(acting_user=admin, data=data)
            created.append(client)
            clients.append(client)
            by_city[household.city_code].append(client)
        for i, j, relation in household.links:
            link = FamilyLink.objects.create(client=created[i], relative=created[j], relation=relation)
            audit_record(actor=admin, action="client.family.link", obj=link, client=created[i],
                         detail={"relative": created[j].pk, "relation": relation})
    for city_code, city_clients in by_city.items():
        managers = _exact_shares(rng, len(city_clients), [(world.staff[u], w) for u, w in MANAGERS[city_code]])
        doctor = world.staff[FAMILY_DOCTOR[city_code]]
        for client, manager in zip(city_clients, managers, strict=True):
            client_services.client_assign(acting_user=admin, client=client, kind=AssignmentKind.HEALTH_MANAGER,
                                          staff=manager, reason="建档分配")
            if client.tier == "A":
                client_services.client_assign(acting_user=admin, client=client, kind=AssignmentKind.FAMILY_DOCTOR,
                                              staff=doctor, reason="A类客户配备家庭医生")
    for client, status in zip(clients, statuses, strict=True):
        _record_consents(client, admin, rng)
        if status != ClientStatus.ACTIVE:
            client_services.client_change_status(acting_user=admin, client=client, status=status,
                                                 reason=STATUS_REASONS[status])
    current = Client.objects.in_bulk([c.pk for c in clients])
    clients = [current[c.pk] for c in clients]
    by_city = {city: [current[c.pk] for c in city_clients] for city, city_clients in by_city.items()}
    _build_enterprises(world, by_city, rng, today)
    return clients


def _record_consents(client: Client, admin: User, rng: random.Random) -> None:
    record = client_services.consent_record
    record(acting_user=admin, client=client, purpose=ConsentPurpose.HEALTH_DATA, granted=True,
           method=ConsentMethod.WRITTEN, note="体检登记时签署知情同意书")
    if rng.random() < 0.85:
        record(acting_user=admin, client=client, purpose=ConsentPurpose.REMINDERS, granted=True,
               method=ConsentMethod.WRITTEN)
    if rng.random() < 0.3:
        record(acting_user=admin, client=client, purpose=ConsentPurpose.MARKETING, granted=True,
               method=ConsentMethod.ELECTRONIC)
        if rng.random() < 0.1:
            record(acting_user=admin, client=client, purpose=ConsentPurpose.MARKETING, granted=False,
                   method=ConsentMethod.VERBAL, note="电话中表示不再接收优惠信息")


def _build_enterprises(world: DemoWorld, by_city: dict[str, list[Client]], rng: random.Random, today: dt.date) -> None:
    admin = world.staff["admin"]
    for name, city_code, contact, address in ENTERPRISES:
        enterprise = client_services.enterprise_create(
            acting_user=admin, name=name, branch=world.units[city_code], contact_name=contact,
            contact_phone=PeopleGenerator(rng, today).mobile(), address=address,
        )
        working_age = [c for c in by_city[city_code]
                       if 22 <= c.age_on(today) <= 58 and c.status == ClientStatus.ACTIVE]
        members = rng.sample(working_age, min(len(working_age), max(3, len(by_city[city_code]) // 7)))
        prefix = "HX" if city_code == "bj" else "DF"
        for number, client in enumerate(members, start=1):
            client_services.enterprise_add_member(
                acting_user=admin, enterprise=enterprise, client=client, employee_no=f"{prefix}{number:04d}",
                department=rng.choice(ref.DEPARTMENTS),
                joined_on=today - dt.timedelta(days=rng.randint(60, 12 * 365)),
            )


def load_base(*, n_clients: int, password: str, rng: random.Random, stdout: Output) -> DemoWorld:
    """Organisation, staff, teams and ``n_clients`` clients, then each app's extension — all or nothing."""
    from careloop.core import demo

    with transaction.atomic():
        world = build_org(password=password)
        gen = PeopleGenerator(rng, timezone.localdate())
        world.clients = build_clients(world, n=n_clients, rng=rng, gen=gen)
        for extension in demo.extensions:
            extension(world.clients, rng, stdout)
        from careloop.ops.demo.chronic_extras import load_chronic_extras

        load_chronic_extras(world.clients, stdout)  # needs the chronic and plans demos both
    return world
