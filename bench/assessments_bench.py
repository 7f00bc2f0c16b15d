"""Benchmark of the health assessment: assessments per second (models only, and with PDF), PDF pages per second.

Run:  /work/main/.venv/bin/python bench/assessments_bench.py [--clients 100000] [--pdf-clients 200]

Synthetic clients (seeded) go through the same code as the service: input validation, the four
models, the guideline thresholds, the six report sections and the prescription rules; the PDF
part renders the printable report (with the TCM section for clients aged 65+). Baselines measured
in the same run: input validation alone (for the models), and models-only (for the PDF path).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.conf import settings

if not settings.configured:
    settings.configure(USE_I18N=True, LANGUAGE_CODE="zh-hans")
    import django

    django.setup()

import pypdfium2

from careloop.assessments.documents import assessment_document
from careloop.assessments.engine import normalize_inputs
from careloop.assessments.engine.report import default_rules
from careloop.assessments.pdf import render_assessment_pdf


def synthetic_client(rng: random.Random) -> tuple[dict, list[int] | None]:
    sex = rng.choice(["male", "female"])
    age = rng.randint(25, 80)
    smoking = rng.choices(["never", "former", "current"], [0.6, 0.15, 0.25])[0]
    raw = {
        "sex": sex,
        "age": age,
        "height_cm": round(rng.gauss(170 if sex == "male" else 158, 6), 1),
        "weight_kg": round(rng.gauss(72 if sex == "male" else 60, 10), 1),
        "waist_cm": round(rng.gauss(88 if sex == "male" else 80, 9), 1),
        "sbp": rng.randint(100, 175),
        "dbp": rng.randint(60, 105),
        "on_bp_treatment": rng.random() < 0.15,
        "total_cholesterol_mmol": round(rng.uniform(3.5, 7.5), 2),
        "hdl_mmol": round(rng.uniform(0.8, 2.0), 2),
        "ldl_mmol": round(rng.uniform(1.8, 5.0), 2),
        "triglycerides_mmol": round(rng.uniform(0.6, 4.0), 2),
        "fasting_glucose_mmol": round(rng.uniform(4.2, 8.5), 1),
        "uric_acid_umol": rng.randint(200, 560),
        "diabetes": rng.random() < 0.1,
        "smoking": smoking,
        "family_history_ascvd": rng.random() < 0.2,
        "family_history_diabetes": rng.random() < 0.2,
        "family_history_lung_cancer": rng.random() < 0.05,
        "region": rng.choice(["north", "south"]),
        "residence": rng.choice(["urban", "rural"]),
        "copd": rng.random() < 0.05,
        "personal_cancer_history": rng.random() < 0.03,
        "education_level": rng.randint(1, 6),
        "passive_smoking_years": rng.randint(0, 30),
        "occupational_exposure_years": 0,
    }
    if smoking != "never":
        raw.update(cigarettes_per_day=rng.randint(5, 40), smoking_years=rng.randint(5, 45))
        if smoking == "former":
            raw["years_since_quit"] = rng.randint(1, 25)
    for key in rng.sample(sorted(raw), k=rng.randint(0, 3)):  # some clients lack a few inputs
        if key not in ("sex", "age"):
            del raw[key]
    tcm = [rng.randint(1, 5) for _ in range(33)] if age >= 65 else None
    return raw, tcm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100_000, help="clients for the models-only run")
    parser.add_argument("--pdf-clients", type=int, default=200, help="clients for the run with PDF")
    args = parser.parse_args()

    rng = random.Random(20261123)
    clients = [synthetic_client(rng) for _ in range(args.clients)]
    rules = default_rules()

    start, cpu = time.perf_counter(), time.process_time()
    for raw, _tcm in clients:
        normalize_inputs(raw)
    baseline, baseline_cpu = time.perf_counter() - start, time.process_time() - cpu

    start, cpu = time.perf_counter(), time.process_time()
    high = 0
    for raw, tcm in clients:
        doc = assessment_document(inputs=normalize_inputs(raw), rules=rules, tcm_answers=tcm)
        high += doc["models"][0]["category"] == "high"
    models_only, models_cpu = time.perf_counter() - start, time.process_time() - cpu

    pdf_clients = clients[: args.pdf_clients]
    start, cpu = time.perf_counter(), time.process_time()
    models_part = models_part_cpu = 0.0
    pages = 0
    for raw, tcm in pdf_clients:
        t0, c0 = time.perf_counter(), time.process_time()
        doc = assessment_document(inputs=normalize_inputs(raw), rules=rules, tcm_answers=tcm)
        models_part += time.perf_counter() - t0
        models_part_cpu += time.process_time() - c0
        pdf_bytes = render_assessment_pdf(doc)
        document = pypdfium2.PdfDocument(pdf_bytes)
        pages += len(document)
        document.close()
    with_pdf, with_pdf_cpu = time.perf_counter() - start, time.process_time() - cpu
    pdf_only, pdf_only_cpu = with_pdf - models_part, with_pdf_cpu - models_part_cpu

    n, m = len(clients), len(pdf_clients)
    print(f"clients (models only): {n}; clients with PDF: {m}; China-PAR high risk: {high}")
    print(f"baseline input validation: {n / baseline:,.0f} clients/s")
    print(
        f"models only:               {n / models_only:,.0f} assessments/s "
        f"({models_only:.1f} s; {models_only / baseline:.1f}x the validation baseline)"
    )
    print(
        f"with PDF:                  {m / with_pdf:,.2f} assessments/s "
        f"({with_pdf:.1f} s; {(with_pdf / m) / (models_only / n):,.0f}x the models-only time per client)"
    )
    print(
        f"PDF pages:                 {pages} pages, {pages / pdf_only:,.1f} pages/s "
        f"(average {pages / m:.1f} pages per report)"
    )
    print(
        f"projected 100,000 clients with PDF: {100_000 * with_pdf / m / 3600:.1f} h (wall clock, one process)"
    )
    print("CPU time of this process (independent of other load on the machine):")
    print(
        f"  baseline {n / baseline_cpu:,.0f} clients/s; models only {n / models_cpu:,.0f} assessments/s; "
        f"with PDF {m / with_pdf_cpu:,.2f} assessments/s; PDF {pages / pdf_only_cpu:,.1f} pages/s"
    )
    print(f"  projected 100,000 clients with PDF: {100_000 * with_pdf_cpu / m / 3600:.1f} CPU-hours")


if __name__ == "__main__":
    main()
