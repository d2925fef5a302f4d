"""DfE validation rules, grouped by return and topic. Importing a return's package registers its rules."""
