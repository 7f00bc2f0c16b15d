"""Generate large checkup results files (CSV and XLSX, CONTRACT's default layout) for benchmarks."""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

from careloop.checkups.layout import DEFAULT_HEADERS
from careloop.lib.identity import make_id_number

REGIONS = ("110105", "310104", "440106", "320102", "510107", "330106")
# 60 items: the catalogue's numeric items plus generic lab items with a normal range.
BASE_ITEMS = [
    ("SBP", "收缩压", "mmHg", 125, 15, "90-139"), ("DBP", "舒张压", "mmHg", 78, 10, "60-89"),
    ("BMI", "体重指数", "kg/m²", 24, 3, "18.5-23.9"), ("WAIST", "腰围", "cm", 84, 9, ""),
    ("GLU", "空腹血糖", "mmol/L", 5.4, 0.9, "3.9-6.1"), ("HBA1C", "糖化血红蛋白", "%", 5.6, 0.6, "4.0-6.0"),
    ("TC", "总胆固醇", "mmol/L", 4.9, 0.9, "<5.2"), ("TG", "甘油三酯", "mmol/L", 1.5, 0.8, "<1.7"),
    ("LDL-C", "低密度脂蛋白胆固醇", "mmol/L", 2.9, 0.8, "<3.4"), ("HDL-C", "高密度脂蛋白胆固醇", "mmol/L", 1.3, 0.3, ">1.0"),
    ("UA", "尿酸", "μmol/L", 350, 80, "150-420"), ("ALT", "丙氨酸氨基转移酶", "U/L", 25, 12, "9-50"),
    ("AST", "天门冬氨酸氨基转移酶", "U/L", 24, 8, "15-40"), ("GGT", "γ-谷氨酰转移酶", "U/L", 30, 15, "10-60"),
    ("CREA", "肌酐", "μmol/L", 75, 15, "57-97"), ("UREA", "尿素", "mmol/L", 5.2, 1.2, "3.1-8.0"),
    ("K", "钾", "mmol/L", 4.2, 0.3, "3.5-5.3"), ("WBC", "白细胞计数", "×10^9/L", 6.2, 1.5, "3.5-9.5"),
    ("RBC", "红细胞计数", "×10^12/L", 4.7, 0.4, "4.3-5.8"), ("HGB", "血红蛋白", "g/L", 140, 14, "130-175"),
    ("PLT", "血小板计数", "×10^9/L", 230, 50, "125-350"),
]
EXTRA_ITEMS = [(f"LAB{i:02d}", f"检验项目{i:02d}", "U/L", 50, 10, "30-70") for i in range(60 - len(BASE_ITEMS))]
ITEMS = BASE_ITEMS + EXTRA_ITEMS
assert len(ITEMS) == 60


def result_rows(reports: int, *, seed: int = 7, start: dt.date = dt.date(2026, 11, 2)) -> Iterator[list[str]]:
    rng = random.Random(seed)
    for n in range(reports):
        sex = "male" if n % 2 == 0 else "female"
        birth = dt.date(1950 + rng.randrange(50), 1 + rng.randrange(12), 1 + rng.randrange(28))
        id_number = make_id_number(REGIONS[n % len(REGIONS)], birth, n % 500, sex)
        name = f"客户{n:05d}"
        day = (start + dt.timedelta(days=n % 15)).isoformat()
        exam_no = f"B{n:07d}"
        for code, item_name, unit, mean, sd, reference in ITEMS:
            value = max(0.1, rng.gauss(mean, sd))
            yield [exam_no, id_number, name, "男" if sex == "male" else "女", day, code, item_name,
                   f"{value:.1f}", unit, reference, ""]


def write_csv(path: Path, reports: int) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(list(DEFAULT_HEADERS.values()))
        writer.writerows(result_rows(reports))
    return path


def write_xlsx(path: Path, reports: int) -> Path:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("results")
    sheet.append(list(DEFAULT_HEADERS.values()))
    for row in result_rows(reports):
        sheet.append(row)
    workbook.save(path)
    return path
