"""What every pipeline step can use, passed to LangGraph as the run's runtime context."""

from dataclasses import dataclass, field

from backend.config import Settings
from backend.db.session import Database
from backend.graph.progress import ProgressSink, ignore_progress
from backend.intake.catalog import Catalog
from backend.integrations.locks import KeyLock
from backend.integrations.workspace import Workspace


@dataclass
class PipelineContext:
    """Process-wide services; never checkpointed, rebuilt by each process."""

    settings: Settings
    db: Database
    workspace: Workspace
    catalog: Catalog
    lock: KeyLock
    progress: ProgressSink = field(default=ignore_progress)
