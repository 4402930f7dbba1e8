"""newsstreams: raw news articles in, parsed, enriched and classified records out, as a Kafka stream."""
import os

__version__ = "0.1.0"

# One OpenBLAS thread per process, set before numpy loads OpenBLAS (every process of ours imports this package
# first, the pool's spawned processes included): parallelism comes from the process pool, and OpenBLAS started
# with threads runs the NER model a third slower (48 against 36 ms an article) even when later held to one thread
# (docs/BENCHMARKS.md, session 4). An operator's own OPENBLAS_NUM_THREADS wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
