"""Forms of the public pages (Flask-WTF: CSRF token included)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length


class LookupForm(FlaskForm):
    kind = RadioField(
        _l("查询方式"),
        choices=[SelectChoice("number", _l("证书编号 + 姓名")), SelectChoice("id_number", _l("证件号码 + 姓名"))],
        default="number",
    )
    identifier = StringField(
        _l("证书编号或证件号码"),
        validators=[DataRequired(_l("请填写证书编号或证件号码。")), Length(max=40, message=_l("号码过长。"))],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"},
    )
    name = StringField(
        _l("姓名"),
        validators=[DataRequired(_l("请填写持证人姓名。")), Length(max=64, message=_l("姓名过长。"))],
        render_kw={"autocomplete": "off"},
    )


class HolderLoginForm(FlaskForm):
    id_number = StringField(
        _l("证件号码"),
        validators=[DataRequired(_l("请填写证件号码。")), Length(max=40, message=_l("号码过长。"))],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"},
    )
    name = StringField(
        _l("姓名"),
        validators=[DataRequired(_l("请填写持证人姓名。")), Length(max=64, message=_l("姓名过长。"))],
        render_kw={"autocomplete": "name"},
    )
    number = StringField(
        _l("您的任意一本证书的编号"),
        validators=[DataRequired(_l("请填写一本证书的编号。")), Length(max=40, message=_l("号码过长。"))],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"},
    )


class LogoutForm(FlaskForm):
    """Only the CSRF token: signing out is a POST."""


class StaffLoginForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请填写用户名。")), Length(max=64)],
                           render_kw={"autocomplete": "username", "spellcheck": "false", "autocapitalize": "none"})
    password = PasswordField(_l("密码"), validators=[DataRequired(_l("请填写密码。")), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
