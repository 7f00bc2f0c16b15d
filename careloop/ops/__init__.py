"""Operations and demo: the code that uses every app (layer 6). The foundation stays in careloop.core."""
