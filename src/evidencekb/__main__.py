"""The `ekb` program, and `python -m evidencekb`.

The garbage collector is paused before anything else loads: `cli.started` says why,
and resumes it once the command's modules are loaded."""

import gc


def main() -> None:
    gc.disable()
    from evidencekb.cli import main as run

    run()


if __name__ == "__main__":
    main()
