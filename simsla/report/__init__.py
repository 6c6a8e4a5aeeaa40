"""Presentation: terminal tables, matplotlib figures, the HTML report.  Computes no metric itself."""
