"""Qt widgets of Gradient Descent Explorer, each bound to an explorer.model.Comparison."""
