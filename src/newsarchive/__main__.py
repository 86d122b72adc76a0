"""Entry point: ``newsarchive`` and ``python -m newsarchive``."""


def main() -> None:
    from .cli import app

    app(prog_name="newsarchive")


if __name__ == "__main__":
    main()
