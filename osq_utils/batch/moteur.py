"""The papermill side of note execution: the warm-kernel engine and the call that runs a notebook.

Imported by `execute.run_job` when a note actually runs, so that a build with every note up to date
never loads papermill, nbformat and jsonschema.
"""

from __future__ import annotations

import atexit
import logging
import threading

from papermill import execute_notebook
from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.log import logger
from papermill.utils import merge_kwargs, remove_args

__all__ = ["execute_notebook", "moteur_chaud"]


def moteur_chaud(arret: threading.Event | None = None) -> str:
    """papermill engine 'osq-chaud': nbclient on a kernel that outlives the note.

    With a kernel manager passed in, nbclient neither stops its client's channels
    (a heartbeat thread and a zmq context per note) nor drops the atexit hook that
    holds the client and its notebook: a long build would pile up thousands of
    threads and every executed notebook. Release both after each note.

    Once `arret` is set (Ctrl-C), no further cell starts: the note fails at its next cell (the running
    cell is stopped by interrupting its kernel, execute._interrompre).
    """
    class ReleasingClient(PapermillNotebookClient):
        def execute_cell(self, *args, **kwargs):
            if arret is not None and arret.is_set():
                raise RuntimeError("construction interrompue")
            return super().execute_cell(*args, **kwargs)

        def execute(self, **kwargs):
            try:
                return super().execute(**kwargs)
            finally:
                atexit.unregister(self._cleanup_kernel)
                if self.kc is not None:
                    self.kc.stop_channels()
                    self.kc = None

    class WarmKernelEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
            # Same arguments as papermill's NBClientEngine, only the client class differs.
            kwargs = remove_args(["input_path"], **kwargs)
            safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
            final_kwargs = merge_kwargs(
                safe_kwargs, timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
                startup_timeout=start_timeout, kernel_name=kernel_name, log=logger, log_output=log_output,
                stdout_file=stdout_file, stderr_file=stderr_file,
            )
            return ReleasingClient(nb_man, **final_kwargs).execute()

    papermill_engines.register("osq-chaud", WarmKernelEngine)
    if arret is not None and not any(isinstance(f, _SilenceApresArret) for f in logger.filters):
        logger.addFilter(_SilenceApresArret(arret))
    return "osq-chaud"


class _SilenceApresArret(logging.Filter):
    """After Ctrl-C, nbclient's English lines about the kernels being stopped (« Kernel died while waiting
    for execute reply ») stay out of the console; the build's French summary says what was stopped."""

    def __init__(self, arret: threading.Event) -> None:
        super().__init__()
        self.arret = arret

    def filter(self, record: logging.LogRecord) -> bool:
        return not self.arret.is_set()
