"""BioLogic VMP-300 over the EC-Lab Development Package (no VISA: a C library and technique files)."""
