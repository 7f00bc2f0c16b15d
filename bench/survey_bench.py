"""Service-desk benchmarks (SVC-4): the public survey page under load, and NPS + themes over many answers.

    .venv/bin/python bench/survey_bench.py --surveys 2000 --answers 100000 --seconds 10 --concurrency 8

On PostgreSQL (the database `careloop_bench_desk`, dropped and re-created; loopback only):

1. Serves the app with `careloop serve` (waitress, 8 threads) on 127.0.0.1:--port, then for --seconds each
   drives --concurrency keep-alive HTTP clients against (a) `/healthz` — the same server's static health
   endpoint, the baseline — and (b) the public survey page `GET /desk/s/<token>/` over --surveys distinct
   unanswered surveys (token hash lookup, expiry check, template, CSRF cookie). Reports requests/s, p50 and
   p95 of both in the same run. The per-address rate limit is raised for the run (every request comes from
   127.0.0.1); its own cost — one cache add/incr — stays in the path.
2. Fills --answers answered surveys (seeded recommend scores and Chinese comments built from fragments, so
   that most comments are distinct) and times `selectors.nps` and `selectors.feedback_themes` over all of
   them (jieba segmentation of every distinct comment, stop words, theme dictionary).

The client processes share the machine with the server: on 2 cores the figures are a floor, not a ceiling.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG_DB = "careloop_bench_desk"
PG_URL = f"postgres://127.0.0.1:5432/{PG_DB}"
DATA = Path("/tmp/careloop_bench_desk")
CAREL = str(Path(sys.executable).with_name("careloop"))

FRAGMENTS = [
    "护士很耐心", "讲解很详细", "排队等候时间太长", "前台态度冷淡", "环境干净整洁", "报告解读很专业", "预约流程繁琐",
    "回访电话很关心", "停车位不够", "收费有点贵", "医生态度很好", "等待时间长", "流程方便", "提醒很及时",
    "候诊区太拥挤", "服务热情周到", "抽血不疼", "结果出得快", "希望周末也能体检", "电话总是占线", "饭菜不错",
    "指引标识不清楚", "工作人员认真负责", "价格合理", "体检项目齐全", "空调太冷", "卫生间不干净", "整体满意",
]


def env_for_child() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"DATABASE_URL": PG_URL, "CARELOOP_DATA_DIR": str(DATA), "CARELOOP_LOG_LEVEL": "WARNING",
                "CARELOOP_SURVEY_RATE_PER_MINUTE": "1000000000"})
    return env


def fresh_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
        conn.execute(f"CREATE DATABASE {PG_DB}")
    DATA.mkdir(parents=True, exist_ok=True)


def drop_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB}")


# --- child: runs inside Django on the bench database --------------------------------------------

def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.settings")
    import django

    django.setup()


def child_populate(n_surveys: int, n_answers: int) -> dict:
    """Unanswered surveys whose tokens the load test uses, and answered ones for the figures."""
    import datetime as dt

    from django.utils import timezone

    from careloop.clients.models import Client
    from careloop.org.models import User
    from careloop.servicedesk.models import Survey
    from careloop.servicedesk.services import token_hash

    rng = random.Random(15)
    from careloop.org.services import orgunit_create_raw

    hq = orgunit_create_raw(name="基准总公司", kind="hq", parent=None, code="bench-hq")
    unit = orgunit_create_raw(name="基准分公司", kind="branch", parent=hq, code="bench-desk")
    staff = [User.objects.create(username=f"bench{i}", org_unit=unit) for i in range(20)]
    clients = Client.objects.bulk_create([
        Client(name=f"基准{i}", sex="female", birth_date=dt.date(1970, 1, 1), branch=unit, phone="", id_number="",
               phone_hash="", id_number_hash=None) for i in range(200)])
    now = timezone.now()
    tokens = [f"bench-{i:06d}-{rng.getrandbits(96):024x}" for i in range(n_surveys)]
    rows = [Survey(token_hash=token_hash(t), client=clients[i % len(clients)], branch=unit, about="visit",
                   object_id=i + 1, created_at=now, expires_at=now + dt.timedelta(days=14))
            for i, t in enumerate(tokens)]
    Survey.objects.bulk_create(rows, batch_size=5000)
    batch: list[Survey] = []
    for i in range(n_answers):
        at = now - dt.timedelta(minutes=rng.randint(1, 60 * 24 * 80))
        comment = "" if rng.random() < 0.3 else "，".join(rng.sample(FRAGMENTS, rng.randint(1, 3)))
        batch.append(Survey(token_hash=f"{i:064d}", client=clients[i % len(clients)], branch=unit, about="followup",
                            object_id=i + 1, staff=staff[i % len(staff)], created_at=at,
                            expires_at=at + dt.timedelta(days=14), answered_at=at,
                            recommend=rng.choices(range(11), weights=[1, 1, 1, 1, 1, 2, 3, 6, 10, 14, 18])[0],
                            satisfaction=rng.randint(1, 5), comment=comment))
        if len(batch) == 10_000:
            Survey.objects.bulk_create(batch)
            batch = []
    Survey.objects.bulk_create(batch)
    (DATA / "tokens.json").write_text(json.dumps(tokens))
    return {"surveys": n_surveys, "answers": n_answers}


def child_figures() -> dict:
    import datetime as dt

    from django.utils import timezone

    from careloop.servicedesk import selectors
    from careloop.servicedesk.models import Survey

    end = timezone.localdate()
    start = end - dt.timedelta(days=365)
    n = Survey.objects.filter(answered_at__isnull=False).count()
    distinct = Survey.objects.exclude(comment="").values("comment").distinct().count()
    t0 = time.perf_counter()
    score = selectors.nps(start=start, end=end)
    t_nps = time.perf_counter() - t0
    selectors.comment_words("预热", selectors.theme_dictionary())  # load jieba's dictionary outside the timing
    t0 = time.perf_counter()
    themes = selectors.feedback_themes(start=start, end=end)
    t_themes = time.perf_counter() - t0
    t0 = time.perf_counter()
    staff = selectors.staff_scores(start=start, end=end)
    t_staff = time.perf_counter() - t0
    return {"answers": n, "distinct_comments": distinct, "nps": score.score, "nps_s": round(t_nps, 3),
            "themes_s": round(t_themes, 2), "top_themes": [(t.theme, t.count) for t in themes[:3]],
            "staff_scores_s": round(t_staff, 3), "staff_rows": len(staff)}


# --- parent: load generator ---------------------------------------------------------------------

def load(port: int, paths: list[str], seconds: float, concurrency: int) -> dict:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def worker(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        mine: list[float] = []
        i = k
        while time.perf_counter() < stop_at:
            path = paths[i % len(paths)]
            i += concurrency
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Accept-Language": "zh-hans"})
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            if ok:
                mine.append((time.perf_counter() - t0) * 1000)
            else:
                errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(concurrency)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    from bench.common import summarize

    s = summarize(latencies) if latencies else None
    return {"requests": len(latencies), "errors": errors[0], "rps": round(len(latencies) / wall, 1),
            "p50_ms": round(s.p50, 2) if s else None, "p95_ms": round(s.p95, 2) if s else None}


def wait_up(port: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("server did not come up")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--surveys", type=int, default=2000, help="distinct unanswered surveys the page load uses")
    parser.add_argument("--answers", type=int, default=100_000, help="answered surveys for NPS and themes")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each load phase (bounded)")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--port", type=int, default=8107)
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--child", choices=["populate", "figures"])
    args = parser.parse_args()
    if args.child:
        setup_django()
        result = child_populate(args.surveys, args.answers) if args.child == "populate" else child_figures()
        print(json.dumps(result, ensure_ascii=False))
        return
    args.seconds = min(args.seconds, 60.0)
    from bench.common import load_average, machine

    print(f"machine: {machine()}; load average before: {load_average()}")
    fresh_database()
    env = env_for_child()
    subprocess.run([CAREL, "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, __file__, "--child", "populate", "--surveys", str(args.surveys),
                          "--answers", str(args.answers)], env=env, cwd=ROOT, check=True, capture_output=True, text=True)
    print(f"populated {out.stdout.strip().splitlines()[-1]} in {time.perf_counter() - t0:.1f} s")
    tokens = json.loads((DATA / "tokens.json").read_text())
    server = subprocess.Popen([CAREL, "serve"], env={**env, "PORT": str(args.port), "HOST": "127.0.0.1"}, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_up(args.port)
        survey_paths = [f"/desk/s/{t}/" for t in tokens]
        load(args.port, ["/healthz"], 2, args.concurrency)  # warm-up, not reported
        load(args.port, survey_paths[:200], 2, args.concurrency)
        health = load(args.port, ["/healthz"], args.seconds, args.concurrency)
        page = load(args.port, survey_paths, args.seconds, args.concurrency)
    finally:
        server.terminate()
        server.wait(timeout=20)
    print(f"load ({args.concurrency} keep-alive clients, {args.seconds:.0f} s each, PostgreSQL, waitress 8 threads):")
    print(f"  /healthz (baseline)   {health}")
    print(f"  survey page           {page}")
    if health["rps"]:
        print(f"  survey page / healthz: {page['rps'] / health['rps']:.2f} of the requests/s, "
              f"p95 {page['p95_ms']} ms vs {health['p95_ms']} ms")
    out = subprocess.run([sys.executable, __file__, "--child", "figures"], env=env, cwd=ROOT, check=True,
                         capture_output=True, text=True)
    print(f"figures: {out.stdout.strip().splitlines()[-1]}")
    print(f"load average after: {load_average()}")
    if not args.keep:
        drop_database()


if __name__ == "__main__":
    main()
