"""The intake graph: validate, client, prestation, then three parallel branches, then notify.

    validate → upsert_client → create_prestation ─┬─ create_quote_lines ──────┐
                                                  ├─ fill_quote_sheet ────────┼─ notify → index
                                                  └─ create_calendar_event ───┘
"""

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from backend.graph import nodes
from backend.graph.context import PipelineContext
from backend.graph.state import IntakeState

PARALLEL_STEPS = ("create_quote_lines", "fill_quote_sheet", "create_calendar_event")
STEP_ORDER = (
    "validate",
    "upsert_client",
    "create_prestation",
    *PARALLEL_STEPS,
    "notify",
    "index",
)


def build_intake_graph(
    checkpointer: BaseCheckpointSaver | None, *, interrupt_after: list[str] | None = None
) -> CompiledStateGraph:
    """Compile the graph; `interrupt_after` stops after those steps, as a crash would."""
    graph = StateGraph(IntakeState, context_schema=PipelineContext)
    graph.add_node("validate", nodes.validate)
    graph.add_node("upsert_client", nodes.upsert_client)
    graph.add_node("create_prestation", nodes.create_prestation)
    graph.add_node("create_quote_lines", nodes.create_quote_lines)
    graph.add_node("fill_quote_sheet", nodes.fill_quote_sheet)
    graph.add_node("create_calendar_event", nodes.create_calendar_event)
    graph.add_node("notify", nodes.notify)
    graph.add_node("index", nodes.index)

    graph.add_edge(START, "validate")
    graph.add_edge("validate", "upsert_client")
    graph.add_edge("upsert_client", "create_prestation")
    for step in PARALLEL_STEPS:
        graph.add_edge("create_prestation", step)
    # notify waits for all three branches (a join), whatever each one's outcome.
    graph.add_edge(list(PARALLEL_STEPS), "notify")
    graph.add_edge("notify", "index")
    graph.add_edge("index", END)
    return graph.compile(checkpointer=checkpointer, interrupt_after=interrupt_after)
