"""Reading and writing, nothing else."""
