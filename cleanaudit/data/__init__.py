"""Reading tables and pred_probs files, and writing outputs atomically."""
