"""``devserver worker``: the JSON-lines worker protocol of seeds 000 and 001 (DESIGN.md "Worker protocol").

- :mod:`devserver.worker.transform`: seed 000's C# form -> the flat form (the seed's mapping table);
- :mod:`devserver.worker.generation`: a generation request as a job of the queue, its answer;
- :mod:`devserver.worker.actions`: seed 001's model actions on the model service;
- :mod:`devserver.worker.protocol`: one message in, one answer out (stdin/stdout and POST /api/v1/worker);
- :mod:`devserver.worker.stdio`: the stdin/stdout loop.
"""
