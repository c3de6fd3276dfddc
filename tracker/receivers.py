"""Signal receivers through which the lower apps' events reach the top layer.

Lower apps send signals on commit; reminders and notifications listen here.
"""
