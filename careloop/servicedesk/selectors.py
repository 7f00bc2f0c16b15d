"""Reads of the service desk: the worklist, and the published figures other apps (stats) call.

Published for KPIs (keyword-only; ``start``/``end`` are dates, both included; ``units`` is an iterable of
OrgUnit — each taken with its subtree — or None for the whole organisation; ``clients``, when given, is a
queryset of client ids that narrows the figures to those clients, e.g. a team lead's clients):

- ``nps(*, start, end, units=None, clients=None) -> Nps``
- ``complaint_rate(*, start, end, units=None, clients=None) -> Rate``
- ``urgent_response_minutes(*, start, end, units=None, clients=None) -> float | None``
- ``staff_scores(*, start, end, units=None) -> list[StaffScore]``
- ``commendation_counts(*, start, end, units=None, approved_only=True) -> dict[int, int]``
- ``feedback_themes(*, start, end, units=None, limit=10) -> list[ThemeCount]``
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Avg, Case, Count, Q, QuerySet, When
from django.utils import timezone

from careloop.org.models import OrgUnit, User

from .models import OPEN_STATUSES, FeedbackTheme, StopWord, Survey, Ticket, TicketKind
from .permissions import tickets_visible_to


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    lo = timezone.make_aware(dt.datetime.combine(start, dt.time.min))
    hi = timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min))
    return lo, hi


def _units_q(units: Iterable[OrgUnit] | None, field: str = "branch") -> Q:
    if units is None:
        return Q()
    parts = [Q(**{f"{field}__path__startswith": u.path}) for u in units]
    return reduce(or_, parts) if parts else Q(pk__in=[])


def _clients_q(clients: QuerySet[Any] | None, field: str = "client_id") -> Q:
    return Q() if clients is None else Q(**{f"{field}__in": clients})


def _answers(start: dt.date, end: dt.date, units: Iterable[OrgUnit] | None,
             clients: QuerySet[Any] | None = None) -> QuerySet[Survey]:
    lo, hi = _bounds(start, end)
    return Survey.objects.filter(_units_q(units), _clients_q(clients), answered_at__gte=lo, answered_at__lt=hi)


# --- The worklist ----------------------------------------------------------------------------------

def desk_worklist(user: User, *, kind: str = "", mine: bool = False, include_answered: bool = False,
                  awaiting_approval: bool = False) -> QuerySet[Ticket]:
    """Open tickets in scope: urgent first, then by due time (none last), then oldest first. With the
    answered and closed ones: the open ones first, then the newest. ``awaiting_approval``: the commendations
    the manager has not approved yet, whatever their status, oldest first."""
    qs = tickets_visible_to(user).select_related("client", "staff", "assignee")
    if awaiting_approval:
        return qs.filter(kind=TicketKind.COMMENDATION, approved_at__isnull=True).order_by("created_at", "pk")
    if kind:
        qs = qs.filter(kind=kind)
    if mine:
        qs = qs.filter(Q(assignee_id=user.pk) | Q(escalated_to_id=user.pk))
    if include_answered:
        return qs.order_by(Case(When(status__in=OPEN_STATUSES, then=0), default=1), "-urgent", "-created_at", "-pk")
    return qs.filter(status__in=OPEN_STATUSES).order_by("-urgent", "due_at", "created_at", "pk")


# --- Published figures ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Nps:
    answers: int
    promoters: int  # 9–10
    passives: int  # 7–8
    detractors: int  # 0–6
    score: float | None  # % promoters − % detractors, −100…100; None without answers


def nps(*, start: dt.date, end: dt.date, units: Iterable[OrgUnit] | None = None,
        clients: QuerySet[Any] | None = None) -> Nps:
    """Net promoter score over every survey answer in the period (one aggregate query)."""
    row = _answers(start, end, units, clients).aggregate(
        n=Count("pk", filter=Q(recommend__isnull=False)),
        p=Count("pk", filter=Q(recommend__gte=9)),
        d=Count("pk", filter=Q(recommend__lte=6)),
    )
    n, p, d = row["n"], row["p"], row["d"]
    return Nps(n, p, n - p - d, d, round(100.0 * (p - d) / n, 1) if n else None)


@dataclass(frozen=True)
class Rate:
    count: int
    base: int
    value: float | None  # percent; None when the base is 0


def complaint_rate(*, start: dt.date, end: dt.date, units: Iterable[OrgUnit] | None = None,
                   clients: QuerySet[Any] | None = None) -> Rate:
    """Clients who complained / clients served (with an active visit, checkup, discharge or purchase) in the
    period, in percent. Malpractice disputes are not the desk's and are not counted (seed 003)."""
    from careloop.followups.models import Encounter

    lo, hi = _bounds(start, end)
    complained = (Ticket.objects.filter(_units_q(units), _clients_q(clients), kind=TicketKind.COMPLAINT,
                                        malpractice=False,
                                        client__isnull=False, created_at__gte=lo, created_at__lt=hi)
                  .values("client_id").distinct().count())
    served = (Encounter.objects.filter(_units_q(units, "client__branch"), _clients_q(clients),
                                       status=Encounter.Status.ACTIVE,
                                       date__gte=start, date__lte=end)
              .values("client_id").distinct().count())
    return Rate(complained, served, round(100.0 * complained / served, 2) if served else None)


def urgent_response_minutes(*, start: dt.date, end: dt.date, units: Iterable[OrgUnit] | None = None,
                            clients: QuerySet[Any] | None = None) -> float | None:
    """Mean minutes from recording to answer of the urgent tickets answered in the period."""
    lo, hi = _bounds(start, end)
    value = (Ticket.objects.filter(_units_q(units), _clients_q(clients), urgent=True, answered_at__gte=lo, answered_at__lt=hi)
             .aggregate(m=Avg("response_minutes"))["m"])
    return round(float(value), 1) if value is not None else None


@dataclass(frozen=True)
class StaffScore:
    staff_id: int
    name: str
    answers: int
    satisfaction: float | None  # mean 1–5
    nps: float | None
    commendations: int  # approved


def staff_scores(*, start: dt.date, end: dt.date, units: Iterable[OrgUnit] | None = None) -> list[StaffScore]:
    """Per staff member rated: answers, mean satisfaction, NPS and approved commendations (3 queries)."""
    rows = (_answers(start, end, units).filter(staff__isnull=False).values("staff_id")
            .annotate(n=Count("pk"), sat=Avg("satisfaction"), p=Count("pk", filter=Q(recommend__gte=9)),
                      d=Count("pk", filter=Q(recommend__lte=6))))
    praised = commendation_counts(start=start, end=end, units=units)
    ids = {r["staff_id"] for r in rows} | set(praised)
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=ids).only("pk", "username", "display_name")}
    by_id = {r["staff_id"]: r for r in rows}
    out = []
    for pk in ids:
        r = by_id.get(pk)
        n = r["n"] if r else 0
        out.append(StaffScore(pk, names.get(pk, str(pk)), n,
                              round(float(r["sat"]), 2) if r and r["sat"] is not None else None,
                              round(100.0 * (r["p"] - r["d"]) / n, 1) if r and n else None,
                              praised.get(pk, 0)))
    out.sort(key=lambda s: (-(s.satisfaction or 0), -s.answers, s.name))
    return out


def commendation_counts(*, start: dt.date, end: dt.date, units: Iterable[OrgUnit] | None = None,
                        approved_only: bool = True) -> dict[int, int]:
    """Commendations per staff member recorded in the period; by default only those the manager approved."""
    lo, hi = _bounds(start, end)
    qs = Ticket.objects.filter(_units_q(units), kind=TicketKind.COMMENDATION, staff__isnull=False,
                               created_at__gte=lo, created_at__lt=hi)
    if approved_only:
        qs = qs.filter(approved_at__isnull=False)
    return {r["staff_id"]: r["n"] for r in qs.values("staff_id").annotate(n=Count("pk"))}


# --- Feedback themes (jieba segmentation + stop words + the theme dictionary) ---------------------

@dataclass(frozen=True)
class ThemeCount:
    theme: str
    count: int  # comments that mention it
    words: tuple[str, ...]  # the most frequent words that matched


@dataclass(frozen=True)
class ThemeDictionary:
    word_theme: dict[str, str]
    stop: frozenset[str]


def theme_dictionary() -> ThemeDictionary:
    word_theme: dict[str, str] = {}
    for theme in FeedbackTheme.objects.filter(active=True):
        for word in theme.keyword_list():
            word_theme.setdefault(word, theme.name)
    return ThemeDictionary(word_theme, frozenset(StopWord.objects.values_list("word", flat=True)))


def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(60)
    return jieba


def comment_words(text: str, dictionary: ThemeDictionary) -> list[str]:
    """The words of one comment (jieba, precise mode), without stop words, punctuation and single letters."""
    jieba = _jieba()
    for word in dictionary.word_theme:
        if jieba.dt.FREQ.get(word) is None:
            jieba.add_word(word, freq=2000)
    return [w for w in (t.strip() for t in jieba.cut(text)) if len(w) > 1 and w not in dictionary.stop
            and any(ch.isalnum() for ch in w)]


def _theme_of(word: str, dictionary: ThemeDictionary) -> str | None:
    """The theme of a word: its own entry, else a keyword of two characters or more inside it (停车位 → 停车)."""
    theme = dictionary.word_theme.get(word)
    if theme is None:
        theme = next((t for k, t in dictionary.word_theme.items() if len(k) > 1 and k in word), None)
    return theme


def themes_of_comments(comments: Iterable[str], dictionary: ThemeDictionary, *, limit: int = 10) -> list[ThemeCount]:
    """Count each theme once per comment; unthemed frequent words come out under their own word."""
    themes: Counter[str] = Counter()
    words_by_theme: dict[str, Counter[str]] = {}
    loose: Counter[str] = Counter()
    seen: Counter[str] = Counter(c.strip() for c in comments if c and c.strip())
    memo: dict[str, str | None] = {}
    for text, times in seen.items():
        words = comment_words(text, dictionary)
        hit: set[str] = set()
        for w in words:
            if w not in memo:
                memo[w] = _theme_of(w, dictionary)
            theme = memo[w]
            if theme:
                hit.add(theme)
                words_by_theme.setdefault(theme, Counter())[w] += times
        for theme in hit:
            themes[theme] += times
        if not hit:
            for w in set(words):
                loose[w] += times
    out = [ThemeCount(t, n, tuple(w for w, _ in words_by_theme[t].most_common(3))) for t, n in themes.most_common()]
    out += [ThemeCount(w, n, ()) for w, n in loose.most_common(limit) if n > 1]
    out.sort(key=lambda t: -t.count)
    return out[:limit]


def feedback_themes(*, start: dt.date, end: dt.date, units: Iterable[OrgUnit] | None = None,
                    limit: int = 10) -> list[ThemeCount]:
    """The most frequent themes of survey comments and complaint/suggestion texts in the period."""
    lo, hi = _bounds(start, end)
    comments = list(_answers(start, end, units).exclude(comment="").values_list("comment", flat=True))
    comments += list(Ticket.objects.filter(_units_q(units), kind__in=(TicketKind.COMPLAINT, TicketKind.SUGGESTION),
                                           malpractice=False, created_at__gte=lo, created_at__lt=hi)
                     .values_list("body", flat=True))
    return themes_of_comments(comments, theme_dictionary(), limit=limit)
