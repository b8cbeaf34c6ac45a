"""Reusable pieces of the pages: charts, forms, tables, dialogs and panels shared by several roles."""
