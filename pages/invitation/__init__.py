"""/invitacion/<token>: the invitee sets the password through the e-mailed link (issue 12)."""

from pages.invitation.view import InvitationState, invitation_page

__all__ = ["InvitationState", "invitation_page"]
