"""Builders for checkup results files (CSV in several encodings, XLSX, FHIR bundles)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

from careloop.checkups.layout import DEFAULT_HEADERS
from careloop.lib.identity import make_id_number

HEADER = list(DEFAULT_HEADERS.values())

ZHANG_ID = make_id_number("110105", dt.date(1970, 3, 8), 12, "male")  # 男, 56 on 2026-11-23
LI_ID = make_id_number("310104", dt.date(1985, 7, 1), 40, "female")


def result_row(
    exam_no: str = "TJ2026001",
    id_number: str = ZHANG_ID,
    name: str = "张伟",
    sex: str = "男",
    date: str = "2026-11-20",
    code: str = "GLU",
    item_name: str = "空腹血糖",
    value: str = "5.2",
    unit: str = "mmol/L",
    reference: str = "3.9-6.1",
    flag: str = "",
) -> list[str]:
    return [exam_no, id_number, name, sex, date, code, item_name, value, unit, reference, flag]


def write_csv(path: Path, rows: list[list[str]], *, header: list[str] | None = None, encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[object]], *, header: list[str] | None = None) -> Path:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("结果")
    sheet.append(header or HEADER)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def fhir_bundle(
    *,
    id_number: str = ZHANG_ID,
    name: str = "张伟",
    gender: str = "male",
    exam_no: str = "TJ2026100",
    date: str = "2026-11-20",
    observations: list[dict] | None = None,
    conclusion: str = "空腹血糖受损",
) -> dict:
    observations = observations or [
        {"code": "GLU", "display": "空腹血糖", "value": 6.5, "unit": "mmol/L", "low": 3.9, "high": 6.1, "flag": "H"},
    ]
    entries: list[dict] = [
        {
            "fullUrl": "urn:uuid:patient-1",
            "resource": {
                "resourceType": "Patient",
                "id": "p1",
                "identifier": [{"system": "urn:oid:2.16.156.10011.1.3", "value": id_number}],
                "name": [{"text": name}],
                "gender": gender,
            },
        }
    ]
    refs = []
    for i, obs in enumerate(observations, start=1):
        resource: dict = {
            "resourceType": "Observation",
            "id": f"o{i}",
            "status": "final",
            "code": {"coding": [{"system": "urn:careloop:item", "code": obs["code"], "display": obs["display"]}]},
            "subject": {"reference": "urn:uuid:patient-1"},
        }
        if isinstance(obs["value"], str):
            resource["valueString"] = obs["value"]
        else:
            resource["valueQuantity"] = {"value": obs["value"], "unit": obs.get("unit", "")}
        if "low" in obs or "high" in obs:
            resource["referenceRange"] = [
                {k: {"value": obs[k], "unit": obs.get("unit", "")} for k in ("low", "high") if k in obs}
            ]
        if obs.get("flag"):
            resource["interpretation"] = [
                {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": obs["flag"]}]}
            ]
        entries.append({"fullUrl": f"urn:uuid:obs-{i}", "resource": resource})
        refs.append({"reference": f"urn:uuid:obs-{i}"})
    entries.append(
        {
            "fullUrl": "urn:uuid:report-1",
            "resource": {
                "resourceType": "DiagnosticReport",
                "id": "r1",
                "status": "final",
                "identifier": [{"value": exam_no}],
                "code": {"text": "健康体检报告"},
                "subject": {"reference": "urn:uuid:patient-1"},
                "effectiveDateTime": date,
                "result": refs,
                "conclusion": conclusion,
            },
        }
    )
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def write_fhir(path: Path, bundle: dict) -> Path:
    path.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    return path
