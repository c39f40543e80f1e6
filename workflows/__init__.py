"""workflows: casework."""
