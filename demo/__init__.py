"""Demo data: two agencies, their people and schools, and assessments as a real agency keeps them."""
