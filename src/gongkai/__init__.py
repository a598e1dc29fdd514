"""Gongkai: civil-affairs spreadsheets in, checked, anonymized open data on CKAN out."""
