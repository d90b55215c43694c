"""One agency's data and files in one zip file, and back (`export_agency`, `import_agency`)."""
