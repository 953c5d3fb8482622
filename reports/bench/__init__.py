"""Pieces of the ``bench`` management command (issue 9): dataset, measuring, floors, operations."""
