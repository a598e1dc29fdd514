"""ckanext-gongkai: Gongkai metadata schema and PostgreSQL dataset search for CKAN."""
