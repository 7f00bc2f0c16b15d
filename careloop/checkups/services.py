"""Writes of careloop.checkups: results import, report delivery, interpretation, critical-value
alerts, column mappings and group bookings.

Every function is atomic, takes the acting user as a keyword and writes its audit row in the same
transaction. Messages go through careloop.messaging's outbox; follow-up work is a FollowupTask.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from careloop.audit.services import audit_record, audit_record_many
from careloop.checkups.importing import STREAM_SHARE, ImportRejected, ImportRun
from careloop.checkups.layout import ALL_FIELDS, REQUIRED_FIELDS
from careloop.checkups.models import (
    BranchBookingPolicy,
    Checkup,
    CheckupPackage,
    ColumnMapping,
    CriticalAlert,
    DeliveryMethod,
    GroupBooking,
    GroupBookingMember,
    ImportBatch,
    Interpretation,
    InterpretationMethod,
    ReportDelivery,
    ResultItem,
)
from careloop.checkups.permissions import import_branch_for, require
from careloop.checkups.progress import upload_dir
from careloop.checkups.readers import RowError, detect_format, file_fingerprint
from careloop.clients.models import Client, Enterprise, Tier
from careloop.core import events
from careloop.followups.models import EncounterKind, FollowupTask
from careloop.followups.services.planning import EncounterRow, encounter_bulk_create, encounter_update
from careloop.followups.services.tasks import followup_task_create
from careloop.lib.uploads import upload_discard, uploads_sweep
from careloop.org.models import OrgUnit, Role, RoleGrant, Team, User
from careloop.org.permissions import Cap
from careloop.org.selectors import subtree_unit_ids, unit_in_subtree
from careloop.workdays.calendar import add_working_days

# Follow-up task priorities: a critical value sits above everything else on the worklist.
CRITICAL_TASK_PRIORITY = 10_000
CHASE_TASK_PRIORITY = 300
AFTER_CHUNK = 1000


def report_due_working_days() -> int:
    """N in "report delivered within N working days of the checkup" (seed 000 §3.2; default 5)."""
    return int(settings.CARELOOP_REPORT_DUE_WORKING_DAYS)


def interpretation_hours() -> int:
    """Tier A interpretation within this many hours of the results (seed 002; default 24)."""
    return int(settings.CARELOOP_INTERPRETATION_HOURS)


def _require(user: Any, cap: Cap) -> None:
    require(user, cap)


# --- import ------------------------------------------------------------------------------------

IMPORT_SYSTEM_USERNAME = "system-import"


@transaction.atomic
def import_system_user() -> User:
    """The named system user the command-line import acts as without ``--user`` (created on first use).

    A clerk at the root of the organisation that cannot sign in (no usable password): its imports
    pass the same permission check as anyone's and its audit rows name it.
    """
    user = User.objects.filter(username=IMPORT_SYSTEM_USERNAME).first()
    if user is None:
        root = OrgUnit.objects.filter(parent=None).order_by("pk").first()
        if root is None:
            raise ValidationError({"branch": [_("No organisation unit exists to own new clients.")]})
        user = User(username=IMPORT_SYSTEM_USERNAME, display_name="体检结果导入（系统）", org_unit=root)
        user.set_unusable_password()
        user.save()
        RoleGrant.objects.create(user=user, role=Role.CLERK)
        audit_record(actor=None, action="org.staff.roles", obj=user,
                     detail={"username": user.username, "roles": [Role.CLERK], "system": True})
    return user


def _store_file(upload: Any) -> tuple[Path, str]:
    """Copy an upload (a Django ``UploadedFile`` or a path on disk) into the import folder."""
    folder = upload_dir()
    if isinstance(upload, (str, Path)):
        source = Path(upload)
        target = folder / f"{uuid.uuid4().hex}{source.suffix.lower()}"
        shutil.copyfile(source, target)
        return target, source.name
    target = folder / f"{uuid.uuid4().hex}{Path(upload.name).suffix.lower()}"
    with open(target, "wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    return target, Path(upload.name).name


def results_import_start(
    *,
    upload: Any,
    branch: OrgUnit | None,
    acting_user: User,
    mapping: ColumnMapping | None = None,
    strict: bool | None = None,
    enqueue: bool = True,
) -> ImportBatch:
    """The one door for a results import: store the file, write the batch and its audit row, run it after commit.

    ``branch`` (default: the acting user's own unit) owns the clients the import creates and must lie
    inside the acting user's subtree. ``enqueue=False`` leaves the run to the caller (the command runs
    it in the foreground with a progress line; the page and the API leave it to the worker).
    """
    branch = import_branch_for(acting_user, branch)
    stored, file_name = _store_file(upload)
    try:
        with transaction.atomic():
            batch = import_batch_create(path=str(stored), file_name=file_name, acting_user=acting_user,
                                        mapping=mapping, strict=strict, branch=branch)
            if enqueue:
                from careloop.checkups.tasks import import_batch_run

                batch_id = batch.pk
                transaction.on_commit(lambda: import_batch_run(batch_id))
    except BaseException:
        stored.unlink(missing_ok=True)
        raise
    return batch


@transaction.atomic
def import_batch_create(
    *,
    path: str,
    file_name: str,
    acting_user: User,
    mapping: ColumnMapping | None = None,
    strict: bool | None = None,
    branch: OrgUnit | None = None,
    fmt: str | None = None,
) -> ImportBatch:
    """Register a stored file for import (the import itself runs in ``results_import``).

    Callers outside this module go through ``results_import_start``.
    """
    branch = import_branch_for(acting_user, branch)
    batch = ImportBatch.objects.create(
        file_name=file_name[:255],
        fmt=fmt or detect_format(path),
        fingerprint=file_fingerprint(path),
        stored_path=str(path),
        strict=mapping.strict if strict is None and mapping is not None else (True if strict is None else strict),
        mapping=mapping,
        branch=branch,
        created_by=acting_user,
    )
    audit_record(actor=acting_user, action="checkup.import_queued", obj=batch,
                 detail={"file": batch.file_name, "branch": branch.pk})
    return batch


def results_import(
    *,
    batch: ImportBatch,
    acting_user: User,
    progress: Callable[[int, float], None] | None = None,
    today: dt.date | None = None,
) -> ImportBatch:
    """Import one results file, all or nothing (SPEC RPT-3).

    The same file (by fingerprint) imported before: nothing changes, the batch is marked
    ``duplicate``. Any bad row: nothing is written, the batch is ``failed`` with every error
    (file, row, column, reason in Chinese and English).
    """
    _require(acting_user, Cap.IMPORT_RESULTS)
    today = today or timezone.localdate()
    earlier = ImportBatch.objects.filter(fingerprint=batch.fingerprint, status=ImportBatch.Status.DONE).exclude(pk=batch.pk).first()
    if earlier is not None:
        batch.status, batch.duplicate_of, batch.finished_at = ImportBatch.Status.DUPLICATE, earlier, timezone.now()
        batch.save(update_fields=["status", "duplicate_of", "finished_at"])
        return batch
    branch = batch.branch or OrgUnit.objects.filter(parent=None).order_by("pk").first()
    if branch is None:
        raise ValidationError({"branch": [_("No organisation unit exists to own new clients.")]})
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportBatch.Status.RUNNING)
    run = ImportRun(
        batch=batch,
        path=batch.stored_path,
        mapping=batch.mapping.mapping if batch.mapping else None,
        branch=branch,
        today=today,
        progress=progress,
        scope_unit_ids=subtree_unit_ids(acting_user),
    )
    try:
        with transaction.atomic():
            run.run()
            _after_import(run, acting_user=acting_user, today=today, progress=progress)
            batch.status, batch.rows_total, batch.finished_at = ImportBatch.Status.DONE, run.rows, timezone.now()
            batch.save()
            audit_record(
                actor=acting_user, action="checkup.import", obj=batch,
                detail={"file": batch.file_name, "reports": batch.reports_created, "items": batch.items_created,
                        "new_clients": batch.clients_created},
            )
    except IntegrityError:
        # Another import of the same file (or of the same checkups) committed first.
        batch.refresh_from_db()
        earlier = ImportBatch.objects.filter(fingerprint=batch.fingerprint, status=ImportBatch.Status.DONE).first()
        batch.status = ImportBatch.Status.DUPLICATE if earlier else ImportBatch.Status.FAILED
        batch.duplicate_of, batch.finished_at = earlier, timezone.now()
        batch.reports_created = batch.items_created = batch.clients_created = 0
        if earlier is None:
            batch.errors = [RowError(batch.file_name, None, "", _lazy("another import wrote the same checkups at the same time; "
                                                                       "import the file again")).as_stored()]
            batch.error_count = 1
        batch.save()
    except ImportRejected as rejected:
        batch.refresh_from_db()
        batch.status, batch.finished_at = ImportBatch.Status.FAILED, timezone.now()
        batch.rows_total, batch.error_count = run.rows, rejected.count
        batch.errors = [e.as_stored() for e in rejected.errors]
        batch.reports_created = batch.items_created = batch.clients_created = 0
        batch.save()
        audit_record(actor=acting_user, action="checkup.import", obj=batch, result="rejected",
                     detail={"file": batch.file_name, "errors": rejected.count})
    if batch.status in (ImportBatch.Status.DONE, ImportBatch.Status.DUPLICATE):
        from careloop.checkups.progress import upload_dir

        # The uploaded plain-text copy is not needed once imported (lib/uploads.py); a file named on the
        # command line is the operator's own and stays.
        if batch.stored_path and upload_dir().resolve() in Path(batch.stored_path).resolve().parents:
            upload_discard(batch.stored_path)
    return batch


def results_uploads_sweep() -> int:
    """Delete uploaded files whose import failed (or never ran) longer ago than UPLOAD_FAILED_KEEP_HOURS."""
    from careloop.checkups.progress import upload_dir

    waiting = ImportBatch.objects.filter(status__in=[ImportBatch.Status.PENDING, ImportBatch.Status.RUNNING])
    return len(uploads_sweep(upload_dir(), keep=waiting.values_list("stored_path", flat=True)))


def _after_import(
    run: ImportRun, *, acting_user: User, today: dt.date, progress: Callable[[int, float], None] | None = None
) -> None:
    """Per new report: its checkup encounter (drives FU-1), delivery, interpretation, alerts, audit.

    In chunks of ``AFTER_CHUNK`` reports, each in bulk: the encounters and their follow-up plans
    through ``encounter_bulk_create`` (one rule load and one task insert per chunk; the encounter
    date is the checkup date, so the planner's grace period for past occurrences applies), the
    deliveries and interpretations in one insert each, and one ``checkup.create`` audit row per
    report chained in one append. Memory does not grow with the number of reports.
    """
    ids = sorted(run.checkup_ids())
    due_days = report_due_working_days()
    hours = interpretation_hours()
    due_dates: dict[dt.date, dt.date] = {}
    table = connection.ops.quote_name(Checkup._meta.db_table)
    branches: dict[int, OrgUnit] = {}
    for start in range(0, len(ids), AFTER_CHUNK):
        # Plain values, not model rows: the client's encrypted fields are never read or decrypted here.
        chunk = list(
            Checkup.objects.filter(pk__in=ids[start:start + AFTER_CHUNK])
            .order_by("pk")
            .values_list("pk", "exam_no", "date", "health_status", "results_at", "client_id", "client__tier",
                         "client__health_manager_id", "client__branch_id")
        )
        missing = {row[8] for row in chunk} - set(branches)
        if missing:
            branches.update({u.pk: u for u in OrgUnit.objects.filter(pk__in=missing)})
        clients: dict[int, Client] = {}
        for row in chunk:
            if row[5] not in clients:
                client = Client(pk=row[5], tier=row[6], health_manager_id=row[7], branch_id=row[8])
                client.branch = branches[row[8]]
                clients[row[5]] = client
        encounters = encounter_bulk_create(
            rows=[EncounterRow(client=clients[row[5]], kind=EncounterKind.CHECKUP, date=row[2], health_status=row[3])
                  for row in chunk],
            source=f"checkup-import:{run.batch.pk}", acting_user=acting_user,
        )
        deliveries, interpretations, entries, links = [], [], [], []
        for (pk, exam_no, date, health_status, results_at, client_id, tier, manager_id, _branch), encounter in zip(
            chunk, encounters, strict=True
        ):
            links.append((encounter.pk, pk))
            if date not in due_dates:
                due_dates[date] = add_working_days(date, due_days)
            deliveries.append(ReportDelivery(checkup_id=pk, due_date=due_dates[date]))
            if tier == Tier.A:
                interpretations.append(
                    Interpretation(
                        checkup_id=pk, due_at=(results_at or timezone.now()) + dt.timedelta(hours=hours), one_to_one=True,
                        method=InterpretationMethod.FACE_TO_FACE, assignee_id=manager_id,
                    )
                )
            entries.append({
                "action": "checkup.create", "object_type": "checkups.checkup", "object_id": str(pk), "client": client_id,
                "detail": {"exam_no": exam_no, "batch": run.batch.pk, "health_status": health_status,
                           "new_client": client_id in run.new_client_ids, "encounter": encounter.pk},
            })
        with connection.cursor() as cursor:
            # Table name from the model; values are parameters.
            cursor.executemany(f"UPDATE {table} SET encounter_id = %s WHERE id = %s", links)  # noqa: S608
        ReportDelivery.objects.bulk_create(deliveries, batch_size=1000)
        Interpretation.objects.bulk_create(interpretations, batch_size=1000)
        audit_record_many(actor=acting_user, entries=entries)
        if progress:
            done = min(len(ids), start + AFTER_CHUNK)
            progress(run.rows, STREAM_SHARE + (1 - STREAM_SHARE) * done / len(ids))
    if run.critical_items:
        _raise_critical_alerts(run.critical_items, acting_user=acting_user, today=today)


def lead_for(client: Client) -> User | None:
    """Who hears of a critical value: the lead of the health manager's follow-up team, else a lead of the branch."""
    if client.health_manager_id:
        team = Team.objects.filter(memberships__user_id=client.health_manager_id, lead__isnull=False).select_related("lead").first()
        if team is not None:
            return team.lead
    branch = client.branch
    units = [branch.pk, *[int(p) for p in str(branch.path or "").strip("/").split("/") if p.isdigit()]]
    team = Team.objects.filter(org_unit_id__in=units, lead__isnull=False).select_related("lead").order_by("-org_unit__path").first()
    if team is not None:
        return team.lead
    return User.objects.filter(role_grants__role=Role.LEAD, org_unit_id__in=units, is_active=True).order_by("pk").first()


def _critical_payload(alert: CriticalAlert, item: ResultItem, task_id: int) -> Callable[[], dict[str, Any]]:
    """Ids and codes of a critical value for integrators; the value itself is read through the API."""
    return lambda: {
        "alert": alert.pk, "checkup": item.checkup_id, "client": item.checkup.client_id, "item": item.pk,
        "item_code": item.code, "task": task_id,
        "raised_at": timezone.localtime(alert.raised_at).isoformat(timespec="seconds"),
    }


def _raise_critical_alerts(item_ids: list[int], *, acting_user: User, today: dt.date) -> list[CriticalAlert]:
    """A critical value: an alert for a lead, and a follow-up task at the top of the lead's worklist.

    Every alert task has an owner: the lead, else followups' owner chain (the client's health manager,
    else the follow-up team of the client's branch and its queue).
    """
    now = timezone.now()
    alerts = []
    for item in ResultItem.objects.filter(pk__in=item_ids).select_related("checkup__client__branch"):
        client = item.checkup.client
        lead = lead_for(client)
        task = followup_task_create(
            client=client, encounter_id=item.checkup.encounter_id, due_date=today, window_end=today,
            reason=(_("Critical value: %(name)s %(value)s %(unit)s — contact the client now")
                    % {"name": item.name, "value": item.value_text, "unit": item.unit})[:300],
            priority=CRITICAL_TASK_PRIORITY, assignee_id=getattr(lead, "pk", None), acting_user=acting_user,
            origin="critical_value",
        )
        alert = CriticalAlert.objects.create(checkup=item.checkup, item=item, lead=lead, raised_at=now, task_id=task.pk)
        audit_record(actor=acting_user, action="checkup.critical_alert", obj=alert, client=client,
                     detail={"item": item.code, "value": item.value_text, "lead": getattr(lead, "pk", None), "task": task.pk,
                             "assignee": task.assignee_id, "team": task.team_id})
        events.emit("checkup.critical_value", _critical_payload(alert, item, task.pk), branch_id=client.branch_id)
        alerts.append(alert)
    return alerts


@transaction.atomic
def critical_alert_acknowledge(*, alert: CriticalAlert, acting_user: User) -> CriticalAlert:
    """The lead (or anyone working follow-ups in scope) confirms they have taken the alert on."""
    _require(acting_user, Cap.WORK_FOLLOWUPS)
    alert = CriticalAlert.objects.select_for_update().get(pk=alert.pk)
    if alert.acknowledged_at is not None:
        raise ValidationError({"alert": [_("This alert was already acknowledged.")]})
    alert.acknowledged_by, alert.acknowledged_at = acting_user, timezone.now()
    alert.save(update_fields=["acknowledged_by", "acknowledged_at"])
    audit_record(actor=acting_user, action="checkup.critical_ack", obj=alert, client=alert.checkup.client_id)
    return alert


# --- column mappings ---------------------------------------------------------------------------


@transaction.atomic
def column_mapping_save(*, institution: str, mapping: dict[str, str], strict: bool, acting_user: User) -> ColumnMapping:
    _require(acting_user, Cap.IMPORT_RESULTS)
    institution, cleaned = column_mapping_clean(institution=institution, mapping=mapping)
    saved, _created = ColumnMapping.objects.update_or_create(
        institution=institution, defaults={"mapping": cleaned, "strict": strict, "updated_by": acting_user}
    )
    audit_record(actor=acting_user, action="checkup.mapping_save", obj=saved, detail={"mapping": cleaned, "strict": strict})
    return saved


def column_mapping_clean(*, institution: str, mapping: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The institution's name and the mapping as saved, or a ValidationError naming each field."""
    institution = (institution or "").strip()
    errors: dict[str, list[str]] = {}
    if not institution:
        errors["institution"] = [_("This field is required.")]
    cleaned = {k: str(v).strip() for k, v in mapping.items() if k in ALL_FIELDS and str(v or "").strip()}
    for name in REQUIRED_FIELDS:
        if name not in cleaned:
            errors.setdefault(name, []).append(_("Choose the column that holds this field."))
    headers = list(cleaned.values())
    duplicated = {h for h in headers if headers.count(h) > 1}
    for name, header in cleaned.items():
        if header in duplicated:
            errors.setdefault(name, []).append(_("Column %(c)s is used for more than one field.") % {"c": header})
    if errors:
        raise ValidationError(errors)
    return institution, cleaned


# --- delivery and interpretation ----------------------------------------------------------------


@transaction.atomic
def report_delivery_record(
    *,
    delivery: ReportDelivery,
    acting_user: User,
    status: str,
    method: str = "",
    tracking_no: str = "",
    on: dt.date | None = None,
) -> ReportDelivery:
    """Record sending, delivery or collection of a report (SPEC RPT-4).

    Post needs a tracking number. An SMS notice to collect queues a ``report_ready`` message.
    Delivered or collected: the checkup encounter's delivery date is set (the FU-1 cycle starts
    there), and interpretation is planned for tiers B and C (tier A has one since the results).
    """
    _require(acting_user, Cap.WORK_FOLLOWUPS)
    on = on or timezone.localdate()
    delivery = ReportDelivery.objects.select_for_update().select_related("checkup__client").get(pk=delivery.pk)
    errors: dict[str, list[str]] = {}
    if status not in ReportDelivery.Status.values or status == ReportDelivery.Status.PENDING:
        errors["status"] = [_("Choose sent, delivered or collected.")]
    method = method or delivery.method
    if method not in DeliveryMethod.values:
        errors["method"] = [_("Choose how the report goes to the client.")]
    tracking_no = (tracking_no or delivery.tracking_no).strip()
    if method == DeliveryMethod.POST and not tracking_no:
        errors["tracking_no"] = [_("A posted report needs its tracking number.")]
    if on > timezone.localdate():
        errors["on"] = [_("The date cannot be in the future.")]
    if on < delivery.checkup.date:
        errors["on"] = [_("The date cannot be before the checkup.")]
    if delivery.status in {ReportDelivery.Status.DELIVERED, ReportDelivery.Status.COLLECTED}:
        errors["status"] = [_("This report was already delivered.")]
    if errors:
        raise ValidationError(errors)
    before = delivery.status
    delivery.status, delivery.method, delivery.tracking_no = status, method, tracking_no
    fields = ["status", "method", "tracking_no"]
    if status == ReportDelivery.Status.SENT:
        delivery.sent_on = on
        fields.append("sent_on")
    else:
        delivery.delivered_on = on
        delivery.sent_on = delivery.sent_on or on
        fields += ["delivered_on", "sent_on"]
    delivery.save(update_fields=fields)
    checkup = delivery.checkup
    message_id = None
    if status == ReportDelivery.Status.SENT and method == DeliveryMethod.SMS_NOTICE:
        from careloop.messaging.services import message_enqueue

        result = message_enqueue(
            client=checkup.client, purpose="report_ready", channel="sms",
            context={"pickup_deadline": delivery.due_date.isoformat()},
            cause=f"checkup:{checkup.pk}", acting_user=acting_user,
        )
        message_id = getattr(result.message, "pk", None)
    if status in {ReportDelivery.Status.DELIVERED, ReportDelivery.Status.COLLECTED}:
        if checkup.encounter_id:
            from careloop.followups.models import Encounter

            encounter = Encounter.objects.get(pk=checkup.encounter_id)
            encounter_update(encounter=encounter, acting_user=acting_user, report_delivered_on=on)
        FollowupTask.objects.filter(
            client_id=checkup.client_id, status="pending", reason__startswith=_chase_reason_prefix(checkup)
        ).update(status="cancelled", closed_at=timezone.now(), close_reason=_("report delivered"))
        if checkup.client.tier != Tier.A and not checkup.interpretations.exists():
            Interpretation.objects.create(
                checkup=checkup, due_at=timezone.now() + dt.timedelta(hours=interpretation_hours()),
                one_to_one=False, method=InterpretationMethod.PHONE, assignee_id=checkup.client.health_manager_id,
            )
    audit_record(actor=acting_user, action="checkup.delivery", obj=delivery, client=checkup.client_id,
                 detail={"from": before, "to": status, "method": method, "on": on.isoformat(), "message": message_id})
    return delivery


def _chase_reason_prefix(checkup: Checkup) -> str:
    return f"[{checkup.exam_no}] "


def report_deliveries_chase(*, today: dt.date | None = None, acting_user: User | None = None) -> int:
    """Overdue or uncollected reports get a chase task for the follow-up team (run daily).

    A report is chased once per overdue spell: again only after its earlier chase task closed.
    """
    today = today or timezone.localdate()
    overdue = (
        ReportDelivery.objects.filter(due_date__lt=today)
        .exclude(status__in=[ReportDelivery.Status.DELIVERED, ReportDelivery.Status.COLLECTED])
        .select_related("checkup__client")
    )
    created = 0
    for delivery in overdue.iterator(chunk_size=500):
        checkup = delivery.checkup
        prefix = _chase_reason_prefix(checkup)
        if FollowupTask.objects.filter(client_id=checkup.client_id, reason__startswith=prefix,
                                       status__in=["pending", "in_progress"]).exists():
            continue
        with transaction.atomic():
            if delivery.status == ReportDelivery.Status.SENT and delivery.method == DeliveryMethod.SMS_NOTICE:
                why = _("report not collected since %(d)s: find out why and arrange delivery") % {"d": delivery.sent_on}
            else:
                why = _("report due %(d)s not delivered: deliver it or notify the client") % {"d": delivery.due_date}
            task = followup_task_create(
                client=checkup.client, encounter_id=checkup.encounter_id, due_date=today, window_end=None,
                reason=f"{prefix}{why}"[:300], priority=CHASE_TASK_PRIORITY,
                assignee_id=checkup.client.health_manager_id, acting_user=acting_user, origin="report_chase",
            )
            delivery.chased_on, delivery.chase_count = today, delivery.chase_count + 1
            delivery.save(update_fields=["chased_on", "chase_count"])
            audit_record(actor=acting_user, action="checkup.delivery_chase", obj=delivery, client=checkup.client_id,
                         detail={"task": task.pk, "due": delivery.due_date.isoformat()})
        created += 1
    return created


@transaction.atomic
def interpretation_complete(*, interpretation: Interpretation, acting_user: User, method: str, notes: str = "") -> Interpretation:
    _require(acting_user, Cap.WORK_FOLLOWUPS)
    interpretation = Interpretation.objects.select_for_update().get(pk=interpretation.pk)
    errors: dict[str, list[str]] = {}
    if method not in InterpretationMethod.values:
        errors["method"] = [_("Choose phone, face to face or video.")]
    if interpretation.status == Interpretation.Status.DONE:
        errors["status"] = [_("This interpretation is already done.")]
    if errors:
        raise ValidationError(errors)
    interpretation.status, interpretation.method = Interpretation.Status.DONE, method
    interpretation.done_at, interpretation.done_by, interpretation.notes = timezone.now(), acting_user, notes[:2000]
    interpretation.save(update_fields=["status", "method", "done_at", "done_by", "notes"])
    audit_record(actor=acting_user, action="checkup.interpretation", obj=interpretation,
                 client=interpretation.checkup.client_id,
                 detail={"method": method, "one_to_one": interpretation.one_to_one,
                         "on_time": interpretation.done_at <= interpretation.due_at})
    return interpretation


# --- packages and group bookings ----------------------------------------------------------------


def booking_deadline(branch: OrgUnit, date: dt.date) -> dt.date:
    policy = BranchBookingPolicy.objects.filter(branch=branch).first()
    days = policy.change_deadline_days if policy else 3
    return date - dt.timedelta(days=days)


@transaction.atomic
def group_booking_create(
    *, enterprise: Enterprise, branch: OrgUnit, package: CheckupPackage, date: dt.date,
    clients: list[Client], acting_user: User,
) -> GroupBooking:
    _require(acting_user, Cap.CREATE_CLIENT)
    if not unit_in_subtree(acting_user, branch):
        raise PermissionDenied(_("This branch is outside your part of the organisation."))
    errors: dict[str, list[str]] = {}
    deadline = booking_deadline(branch, date)
    if deadline < timezone.localdate():
        errors["date"] = [_("Too late to book this date: bookings close on %(d)s.") % {"d": deadline.isoformat()}]
    if not package.active:
        errors["package"] = [_("This package is no longer offered.")]
    if errors:
        raise ValidationError(errors)
    booking = GroupBooking.objects.create(
        enterprise=enterprise, branch=branch, package=package, date=date, change_deadline=deadline, created_by=acting_user
    )
    GroupBookingMember.objects.bulk_create([GroupBookingMember(booking=booking, client=c) for c in clients])
    audit_record(actor=acting_user, action="checkup.group_booking", obj=booking,
                 detail={"enterprise": enterprise.pk, "date": date.isoformat(), "members": len(clients)})
    for hook in BOOKED_HOOKS:
        hook(booking, clients, acting_user)
    return booking


# Inside the booking transaction: BOOKED_HOOKS get (booking, clients, acting_user) when clients are booked,
# UNBOOKED_HOOKS get (booking, clients, acting_user) when they are removed or the booking is cancelled.
# careloop.plans registers hooks that draw the checkup on (and give it back to) the client's plan.
BOOKED_HOOKS: list[Any] = []
UNBOOKED_HOOKS: list[Any] = []


def _require_before_deadline(booking: GroupBooking) -> None:
    if timezone.localdate() > booking.change_deadline:
        raise ValidationError({"booking": [
            _("Changes and cancellations closed on %(d)s.") % {"d": booking.change_deadline.isoformat()}
        ]})
    if booking.status == GroupBooking.Status.CANCELLED:
        raise ValidationError({"booking": [_("This booking is cancelled.")]})


@transaction.atomic
def group_booking_change(
    *, booking: GroupBooking, acting_user: User, date: dt.date | None = None,
    add: list[Client] = (), remove: list[Client] = (),  # type: ignore[assignment]
) -> GroupBooking:
    _require(acting_user, Cap.CREATE_CLIENT)
    booking = GroupBooking.objects.select_for_update().get(pk=booking.pk)
    _require_before_deadline(booking)
    detail: dict[str, Any] = {}
    if date is not None and date != booking.date:
        deadline = booking_deadline(booking.branch, date)
        if deadline < timezone.localdate():
            raise ValidationError({"date": [_("Too late to move to this date: bookings close on %(d)s.") % {"d": deadline.isoformat()}]})
        detail["date"] = [booking.date.isoformat(), date.isoformat()]
        booking.date, booking.change_deadline = date, deadline
        booking.save(update_fields=["date", "change_deadline"])
    for client in add:
        member, _created = GroupBookingMember.objects.get_or_create(booking=booking, client=client)
        if member.cancelled:
            member.cancelled = False
            member.save(update_fields=["cancelled"])
    if remove:
        GroupBookingMember.objects.filter(booking=booking, client__in=remove).update(cancelled=True)
    detail.update(added=[c.pk for c in add], removed=[c.pk for c in remove])
    audit_record(actor=acting_user, action="checkup.group_booking_change", obj=booking, detail=detail)
    for hook in BOOKED_HOOKS if add else ():
        hook(booking, list(add), acting_user)
    for hook in UNBOOKED_HOOKS if remove else ():
        hook(booking, list(remove), acting_user)
    return booking


@transaction.atomic
def group_booking_cancel(*, booking: GroupBooking, acting_user: User) -> GroupBooking:
    _require(acting_user, Cap.CREATE_CLIENT)
    booking = GroupBooking.objects.select_for_update().get(pk=booking.pk)
    _require_before_deadline(booking)
    booking.status = GroupBooking.Status.CANCELLED
    booking.save(update_fields=["status"])
    audit_record(actor=acting_user, action="checkup.group_booking_cancel", obj=booking)
    members = [m.client for m in booking.members.select_related("client").filter(cancelled=False)]
    for hook in UNBOOKED_HOOKS:
        hook(booking, members, acting_user)
    return booking

