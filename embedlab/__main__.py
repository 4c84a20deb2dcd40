"""``python -m embedlab`` runs the CLI."""

from embedlab.cli.main import main

raise SystemExit(main())
