import sys

from streams.bench import main

sys.exit(main())
