"""The knowledge base (知识库, Art. 43) and instant answers to consultations (秒回,
Art. 44)."""
