from oauth2_provider.oauth2_validators import OAuth2Validator


class EmailClaimsValidator(OAuth2Validator):
    """The person's address in the ID token and userinfo; this provider verified every address
    it holds except those of users whose last name is ``Unverified``."""

    def get_additional_claims(self, request):
        user = request.user
        return {
            "email": user.email,
            "email_verified": user.last_name != "Unverified",
            "name": user.get_full_name() or user.get_username(),
        }
