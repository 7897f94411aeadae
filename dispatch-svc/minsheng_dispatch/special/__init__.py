"""Special dispatch (Chapter 4): merging orders about one event (并案, Art. 18),
splitting one appeal into several event numbers (拆分, Art. 19) and sending one event
to several units at once (并行, Art. 20, 22)."""
