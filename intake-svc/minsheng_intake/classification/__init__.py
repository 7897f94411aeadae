"""Classifying an appeal (Art. 8): which category it belongs to, suggested from its
text with a confidence, and what type it is (consultation, complaint, suggestion)
when the channel does not say. An appeal whose suggestion is not confident enough
waits in the triage queue for a center operator.

Modules: `mapping` (the published table between our categories and the labelled
messages' seven), `corpus` (the packaged training texts), `segmentation` (jieba),
`suggester` (the model), `evaluate` (its measured accuracy), `appeal_type` (type
from the text), `rules` (parameters), and the triage queue's `models`, `schemas`,
`errors`, `repository`, `service` and `routes`.
"""
