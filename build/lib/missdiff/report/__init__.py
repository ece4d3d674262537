"""Run records -> the paper's tables, figures and claims (`missdiff-report`; never reruns).

One job per module, each importing only those above it:
- `spec`: `TableSpec`, label functions, `paper_grid`: what experiments/<name>.py import;
- `discover`: which experiment modules there are and what each declares (the only module that
  imports `experiments`, inside its functions);
- `aggregate`: records -> cells per table, and the paper's claims checked on them;
- `render`: cells -> markdown / CSV tables, status.md, claims.md, figures;
- `cli`: `write_report` and the `missdiff-report` command.
"""
