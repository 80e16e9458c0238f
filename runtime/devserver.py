"""`make run`: prepare everything and start the whole system on embedded defaults."""

from __future__ import annotations

import signal
import sys
import time

from bot import nlp
from quartierslotse.settings import Settings, get_settings
from runtime import processes, training
from runtime.rasa_endpoints import write_credentials, write_endpoints
from runtime.services import RasaFiles, default_services

# Loading the Rasa model takes minutes on a small or busy machine (4 min measured on 2 shared
# cores); a slow start is no failure, neither at first nor after a restart.
START_TIMEOUT = 600.0


def prepare_runtime(settings: Settings) -> RasaFiles:
    """Databases, Rasa endpoints and channel credentials for `settings`."""
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    from knowledge.bootstrap import ensure_database

    ensure_database(settings.database_url)
    return RasaFiles(
        endpoints=write_endpoints(settings, settings.var_dir / "endpoints.yml"),
        credentials=write_credentials(settings, settings.var_dir / "credentials.yml"),
    )


def main(argv: list[str] | None = None) -> int:
    """`quartierslotse run`: everything on embedded defaults, until Ctrl+C."""
    # security: local secrets (API token, action token, console key) from var/secrets.env
    from security.secrets import load_local_secrets

    load_local_secrets()
    settings = get_settings()
    nlp.build_pipeline(settings.spacy_model_path, nlp.known_place_names())
    model = training.ensure_trained(settings)
    services = default_services(settings, model, prepare_runtime(settings))
    print("Starte Quartierslotse …")
    started = time.monotonic()
    # SIGTERM while starting: start_all stops what it started (as on Ctrl-C)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    running = processes.start_all(services, settings, settings.var_dir / "logs", START_TIMEOUT)
    from privacy.retention import start_background  # privacy: hourly retention job

    start_background(settings)
    print(f"Alle Dienste laufen (nach {time.monotonic() - started:.0f} s):")
    for item in running:
        print(f"  {item.service.name:<16} {item.service.public_url}")
    print("Logs: var/logs/. Beenden mit Strg+C.")
    processes.supervise(processes.Supervisor(
        running, settings.var_dir / "logs",
        hang_seconds=settings.supervisor_hang_seconds, start_timeout=START_TIMEOUT,
        backoff_max=settings.supervisor_max_backoff_seconds))
    return 0


if __name__ == "__main__":
    main()
