"""Course-style TF1 programs for the porter's tests (issue 13); see README.md and catalogue.py."""

from tests.port_programs.catalogue import DATA_FILES, FOLDER, PROGRAMS, TMP, PortProgram

__all__ = ["DATA_FILES", "FOLDER", "PROGRAMS", "TMP", "PortProgram"]
