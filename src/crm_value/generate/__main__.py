"""`python -m crm_value.generate`: the generator's command line (see ``command``)."""

from crm_value.generate.command import main

main()
