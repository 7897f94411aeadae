"""Sameness of appeals: the same problem (text and place), repeats by the same person
(Art. 11(3)5) and event clusters of several people's reports (Art. 18).

Modules: `params` (the rule parameters and their defaults), `vocabulary` (the
problem words), `segmentation` (jieba), `places` (where a problem is),
`similarity` (how alike two problems are), `openness` (whether an appeal is still
being handled), `repeats`, `clusters`, `models` (tables) and `consumers` (work-order
events).
"""
