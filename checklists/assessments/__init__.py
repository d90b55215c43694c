"""Assessments: an agency's responses item by item (and school by school), with evidence."""
