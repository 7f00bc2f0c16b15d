import datetime as dt
import xml.etree.ElementTree as ET

from careloop.checkups.charts import Point, trend_svg

NS = "{http://www.w3.org/2000/svg}"


def test_trend_marks_abnormal_values_and_draws_the_reference_band():
    svg = trend_svg(
        [
            Point(dt.date(2025, 11, 1), 6.4, "minor", "空腹血糖受损"),
            Point(dt.date(2024, 11, 1), 5.5),
            Point(dt.date(2026, 11, 1), 7.2, "major"),
        ],
        title="空腹血糖",
        unit="mmol/L",
        ref_low=3.9,
        ref_high=6.1,
    )
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    circles = root.findall(f"{NS}circle")
    assert [c.get("class") for c in circles] == ["pt-normal", "pt-minor", "pt-major"]
    assert [c.get("r") for c in circles] == ["3", "5", "5"]
    assert circles[1].find(f"{NS}title").text == "2025-11-01 6.4mmol/L 空腹血糖受损"
    band = root.find(f"{NS}rect")
    assert band.get("class") == "ref-band"
    assert [t.text for t in root.findall(f"{NS}text") if t.get("class") == "ref-label"] == ["3.9", "6.1"]
    # higher values are drawn higher up
    ys = [float(c.get("cy")) for c in circles]
    assert ys[2] < ys[1] < ys[0]
    assert root.find(f"{NS}title").text == "空腹血糖: 2024-11-01 5.5mmol/L; 2025-11-01 6.4mmol/L; 2026-11-01 7.2mmol/L"
    assert "style=" not in svg


def test_labels_are_escaped_and_one_point_is_centred():
    svg = trend_svg([Point(dt.date(2026, 1, 1), 1.0, "", "<b>")], title="a<b")
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    assert root.get("aria-label") == "a<b"
    [circle] = root.findall(f"{NS}circle")
    assert circle.get("cx") == "196.0"
    assert root.find(f"{NS}polyline") is None
