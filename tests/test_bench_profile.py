"""`make profile`'s pure parts: a sampled stack's phase, py-spy's collapsed stacks, the flame
graph, and the SQL counted in a libpq trace."""

from xml.etree import ElementTree

from bench.profile import count_sql, flame_svg, phase_of, phase_shares, read_collapsed

SERVER = ("handle (gunicorn/workers/gthread.py:553);__call__ (django/core/handlers/wsgi.py:124);"
          "run (ninja/operation.py:120)")
RAW = [
    'process 1:"casedesk serve";process 2:"casedesk serve";' + SERVER
    + ";create_case (casedesk/cases/api.py:80);case_create (casedesk/cases/creation.py:200)"
    ";decide (casedesk/routing/services.py:300);execute (psycopg/cursor.py:97) 30",
    'process 1:"casedesk serve";' + SERVER
    + ";create_case (casedesk/cases/api.py:80);case_create (casedesk/cases/creation.py:200)"
    ";save (django/db/models/base.py:800);execute (psycopg/cursor.py:97) 50",
    'process 1:"casedesk serve";' + SERVER + ";_result_to_response (ninja/operation.py:300)"
    ";model_dump (pydantic/main.py:400) 15",
    'process 1:"casedesk serve";' + SERVER + ";_run_authentication (ninja/operation.py:250)"
    ";authenticate (casedesk/tenancy/api_auth.py:40) 5",
    "garbage line without a count",
]


def test_a_stack_counts_for_the_innermost_phase_it_names() -> None:
    stacks = read_collapsed(RAW)
    phases = {phase_of(list(frames)): n for frames, n in stacks.items()}
    # Routing's query inside case creation is routing; the case's own insert is inserts.
    assert phases == {"routing": 30, "inserts": 50, "response": 15, "auth": 5}
    assert phase_of(["main (somewhere.py:1)"]) == "other"


def test_collapsed_stacks_drop_the_process_frames_and_bad_lines() -> None:
    stacks = read_collapsed(RAW)
    assert sum(stacks.values()) == 100
    assert all(not frame.startswith("process ") for frames in stacks for frame in frames)


def test_phase_shares_add_up_to_the_whole() -> None:
    shares = phase_shares(read_collapsed(RAW))
    assert shares == {"inserts": 50.0, "routing": 30.0, "response": 15.0, "auth": 5.0}


def test_the_flame_graph_is_an_svg_with_a_box_per_frame_worth_drawing() -> None:
    svg = flame_svg(read_collapsed(RAW), "creation")
    root = ElementTree.fromstring(svg)
    titles = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert any(t.startswith("all — 100 samples") for t in titles)
    assert any(t.startswith("decide (casedesk/routing/services.py:300) — 30 samples, 30.00 %")
               for t in titles)
    assert "{y" not in svg and "{t" not in svg


TRACE = """F\t10\tQuery\t "BEGIN"
B\t10\tCommandComplete\t "BEGIN"
B\t5\tReadyForQuery\t T
F\t21\tParse\t "" "INSERT INTO cases_case (subject) VALUES ($1)" 1 21
F\t22\tBind\t "" "" 1 1 1 2 '\\x00\\x02' 1 0
F\t9\tExecute\t "" 0
F\t4\tSync
B\t4\tParseComplete
B\t5\tReadyForQuery\t T
F\t21\tParse\t "" "SELECT 1" 0
F\t9\tExecute\t "" 0
F\t4\tSync
B\t5\tReadyForQuery\t T
F\t11\tQuery\t "COMMIT"
B\t5\tReadyForQuery\t I
"""


def test_sql_is_counted_per_case_from_a_libpq_trace() -> None:
    counts = count_sql(TRACE, cases=2)
    assert counts.round_trips == 2.0  # 4 waits for the server, over 2 cases
    assert counts.statements == 2.0  # BEGIN, the insert, the select, COMMIT
    assert counts.transactions == 0.5
    assert counts.by_kind == {"prepared": 1.0, "BEGIN": 0.5, "COMMIT": 0.5}
