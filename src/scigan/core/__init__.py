"""Domain-blind GAN engine."""
