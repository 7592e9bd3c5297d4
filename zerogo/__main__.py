import sys

from zerogo.cli import main

sys.exit(main())
