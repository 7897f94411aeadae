"""Unit assessment (考核, Art. 32–35): scores per unit and period from the indicators,
bonus points, appeals against deductions and the history of every score."""
