"""Forms of the public pages (Flask-WTF: CSRF token included)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, Field, PasswordField, RadioField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from certificates import FieldError, validate_uscc
from registry.web.i18n import select_language


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


# Body console (/console)


class OpenBatchForm(FlaskForm):
    assessment = SelectField(_l("职业、等级和工种"), choices=[],
                             validators=[DataRequired(_l("请选择要考核的职业和等级。"))])
    assessed_on = DateField(_l("考核日期"), validators=[DataRequired(_l("请填写考核日期。"))])
    place = StringField(_l("考核地点"), validators=[DataRequired(_l("请填写考核地点。")),
                                                    Length(max=200, message=_l("考核地点过长。"))])


def _score_field(label: str) -> StringField:
    whole_number = Regexp(r"^\s*\d{1,3}\s*$", message=_l("成绩须为 0 到 100 的整数。"))
    return StringField(label, validators=[Optional(), whole_number],
                       render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": "3"})


class ScoresForm(FlaskForm):
    """The scores of one candidate; `scores_form` adds one field per component of the level."""

    def scores(self, kinds: Sequence[str]) -> dict[str, int | None]:
        values = (getattr(self, f"score_{kind}").data for kind in kinds)
        return {kind: int(value) if value and value.strip() else None
                for kind, value in zip(kinds, values, strict=True)}

    def score_fields(self, kinds: Sequence[str]) -> list[Field]:
        return [getattr(self, f"score_{kind}") for kind in kinds]


class CandidateForm(ScoresForm):
    name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写考生姓名。")),
                                                Length(max=64, message=_l("姓名过长。"))],
                       render_kw={"autocomplete": "off"})
    id_type = SelectField(_l("证件类型"), choices=[])
    id_number = StringField(_l("证件号码"), validators=[DataRequired(_l("请填写证件号码。")),
                                                        Length(max=40, message=_l("号码过长。"))],
                            render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"})


def scores_form(base: type[ScoresForm], components: Sequence[tuple[str, str]]) -> type[ScoresForm]:
    """`base` with a score field `score_<kind>` for each (kind, label) of the level, in the level's order."""
    form = type(base.__name__, (base,), {})
    for kind, label in components:
        setattr(form, f"score_{kind}", _score_field(label))
    return form


class PasteForm(FlaskForm):
    rows = TextAreaField(_l("从表格复制的考生行"), validators=[DataRequired(_l("请粘贴考生行。")),
                                                             Length(max=100_000, message=_l("粘贴的内容过长。"))],
                         render_kw={"rows": "8", "spellcheck": "false", "autocomplete": "off"})


class ImportForm(FlaskForm):
    """A spreadsheet of candidates; the file's type and contents are judged by the import service."""

    file = FileField(_l("考生名单文件（.xlsx 或 CSV）"), validators=[FileRequired(_l("请选择要导入的文件。"))],
                     render_kw={"accept": ".xlsx,.csv"})
    # The second button: a refused file's errors as an XLSX download instead of a table on the page.
    report = SubmitField(_l("导入，有错误时下载错误报告（XLSX）"))


class PhotosForm(FlaskForm):
    """A ZIP of the candidates' photos, each named by its 证件号码; judged by the photo import service."""

    file = FileField(_l("照片压缩包（ZIP）"), validators=[FileRequired(_l("请选择要上传的压缩包。"))],
                     render_kw={"accept": ".zip"})


class ReturnForm(FlaskForm):
    reason = TextAreaField(_l("退回原因"), validators=[DataRequired(_l("请填写退回原因。")),
                                                      Length(max=500, message=_l("原因过长。"))],
                           render_kw={"rows": "3"})


class RevokeForm(FlaskForm):
    reason = SelectField(_l("撤销原因"), choices=[], validators=[DataRequired(_l("请选择撤销原因。"))])
    note = TextAreaField(_l("说明（原因为“其他”时必填）"), validators=[Length(max=1000, message=_l("说明过长。"))],
                         render_kw={"rows": "3"})


class ReissueForm(FlaskForm):
    holder_name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写持证人姓名。")),
                                                      Length(max=64, message=_l("姓名过长。"))],
                              render_kw={"autocomplete": "off"})
    id_type = SelectField(_l("证件类型"), choices=[])
    id_number = StringField(_l("证件号码"), validators=[DataRequired(_l("请填写证件号码。")),
                                                        Length(max=40, message=_l("号码过长。"))],
                            render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"})
    reason = TextAreaField(_l("换发原因"), validators=[DataRequired(_l("请填写换发原因。")),
                                                      Length(max=500, message=_l("原因过长。"))],
                           render_kw={"rows": "3"})


class StaffAccountForm(FlaskForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请填写用户名。")), Length(max=64)],
                           render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"})
    display_name = StringField(_l("姓名"), validators=[DataRequired(_l("请填写姓名。")),
                                                       Length(max=100, message=_l("姓名过长。"))],
                               render_kw={"autocomplete": "off"})
    role = SelectField(_l("角色"), choices=[SelectChoice("assessor", _l("考评员")),
                                            SelectChoice("supervisor", _l("质量督导员")),
                                            SelectChoice("body_admin", _l("机构管理员"))])
    password = PasswordField(_l("初始密码（至少 10 个字符）"),
                             validators=[DataRequired(_l("请填写密码。")), Length(max=200)],
                             render_kw={"autocomplete": "new-password"})


# Regulator console (/regulator). This section's own imports, kept here while the consoles are written in
# parallel (append-only): hoist them to the top when merging.
from wtforms import SelectMultipleField  # noqa: E402
from wtforms.widgets import CheckboxInput, ListWidget  # noqa: E402

_CODE_INPUT = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}


class RegulatorActionForm(FlaskForm):
    """Only the CSRF token: a regulator's button (rotate a key, withdraw a scope line)."""


def _checked_by(rule: Callable[[str], object]) -> Callable[[FlaskForm, Field], None]:
    """A form check by the domain's own rule, so every error of the form shows at once, in the reader's language."""
    def check(_form: FlaskForm, field: Field) -> None:
        try:
            rule(field.data or "")
        except FieldError as err:
            raise ValidationError(err.message_en if select_language() == "en" else err.message_zh) from err
    return check


class BodyFilingForm(FlaskForm):
    """Every field of a body's 备案 (registry.services.bodies.BodyFiling), named as the service names them."""

    name = StringField(_l("备案名称"), validators=[DataRequired(_l("请填写机构的备案名称。")),
                                                    Length(max=200, message=_l("名称过长。"))],
                       render_kw={"autocomplete": "organization"})
    kind = RadioField(_l("机构类型"), choices=[SelectChoice("S", _l("S 社会培训评价组织")),
                                               SelectChoice("Y", _l("Y 用人单位"))],
                      default="S", validators=[DataRequired(_l("请选择机构类型。"))])
    credit_code = StringField(_l("统一社会信用代码"),
                              validators=[DataRequired(_l("请填写统一社会信用代码。")),
                                          Length(max=40, message=_l("代码过长。")), _checked_by(validate_uscc)],
                              render_kw={**_CODE_INPUT, "maxlength": "18"})
    province = SelectField(_l("省份"), choices=[], validators=[DataRequired(_l("请选择省份。"))])
    body_code = StringField(_l("机构代码（证书编号第 2-5 位）"), default="0000",
                            validators=[DataRequired(_l("请填写机构代码。")), Length(max=10, message=_l("代码过长。"))],
                            description=_l("在人社部备案的为 0001-9999，在省级人社部门备案的为 0000。"),
                            render_kw={**_CODE_INPUT, "inputmode": "numeric", "maxlength": "4"})
    site_code = StringField(_l("站点代码（证书编号第 8-13 位）"),
                            validators=[DataRequired(_l("请填写站点代码。")), Length(max=10, message=_l("代码过长。"))],
                            description=_l("由省级人社部门分配的 6 位数字。"),
                            render_kw={**_CODE_INPUT, "inputmode": "numeric", "maxlength": "6"})
    contact_name = StringField(_l("联系人"), validators=[DataRequired(_l("请填写联系人。")),
                                                        Length(max=100, message=_l("姓名过长。"))],
                               render_kw={"autocomplete": "off"})
    contact_phone = StringField(_l("联系电话"), validators=[DataRequired(_l("请填写联系电话。")),
                                                           Length(max=40, message=_l("号码过长。"))],
                                render_kw={"autocomplete": "off", "inputmode": "tel"})


class ScopeForm(FlaskForm):
    """One scope line: an occupation (or one of its 工种, chosen together as `code` or `code|工种`)."""

    occupation = SelectField(_l("职业（工种）"), choices=[], validators=[DataRequired(_l("请选择职业。"))])
    levels = SelectMultipleField(_l("等级"), choices=[], coerce=int, widget=ListWidget(prefix_label=False),
                                 option_widget=CheckboxInput(),
                                 validators=[DataRequired(_l("请至少选择一个等级。"))])
    valid_from = DateField(_l("有效期起"), validators=[DataRequired(_l("请填写有效期起始日期。"))])
    valid_to = DateField(_l("有效期止"), validators=[DataRequired(_l("请填写有效期截止日期。"))])


class BodyStatusForm(FlaskForm):
    change = RadioField(_l("操作"), choices=[], validators=[DataRequired(_l("请选择要执行的操作。"))])
    reason = TextAreaField(_l("原因"), validators=[DataRequired(_l("请填写原因。")),
                                                  Length(max=500, message=_l("原因过长。"))],
                           render_kw={"rows": "3"})


class RevokeByNumberForm(FlaskForm):
    number = StringField(_l("证书编号"), validators=[DataRequired(_l("请填写证书编号。")),
                                                      Length(max=40, message=_l("号码过长。"))],
                         render_kw={**_CODE_INPUT, "maxlength": "22"})
    reason = SelectField(_l("撤销原因"), choices=[], validators=[DataRequired(_l("请选择撤销原因。"))])
    note = TextAreaField(_l("说明（原因为“其他”时必填）"), validators=[Length(max=1000, message=_l("说明过长。"))],
                         render_kw={"rows": "3"})


class AuditFilterForm(FlaskForm):
    """The audit search: read from the address (GET), so it has no CSRF token and can be bookmarked."""

    class Meta:
        csrf = False

    actor = StringField(_l("操作人"), validators=[Optional(), Length(max=100, message=_l("内容过长。"))],
                        render_kw={"autocomplete": "off", "spellcheck": "false"})
    action = SelectField(_l("操作"), choices=[], validate_choice=False)
    object_type = SelectField(_l("对象类型"), choices=[], validate_choice=False)
    object_id = StringField(_l("对象编号"), validators=[Optional(), Length(max=40, message=_l("内容过长。"))],
                            render_kw={"autocomplete": "off", "spellcheck": "false"})
    since = DateField(_l("起始日期"), validators=[Optional()])
    until = DateField(_l("截止日期"), validators=[Optional()])


# API tokens (both consoles: registry.web.token_pages)


class TokenForm(FlaskForm):
    """A new API token. `user_id` is the account it acts as: only a body admin chooses; others lose the field."""

    name = StringField(_l("令牌名称"), validators=[DataRequired(_l("请填写令牌名称。")),
                                                    Length(max=100, message=_l("名称过长。"))],
                       description=_l("写明用途，便于日后识别和撤销，例如“成绩导入脚本”。"),
                       render_kw={"autocomplete": "off", "maxlength": "100"})
    scope = RadioField(_l("权限"), choices=[SelectChoice("read", _l("只读")), SelectChoice("write", _l("读写"))],
                       default="read")
    expires = SelectField(_l("有效期"), choices=[SelectChoice("", _l("不过期")), SelectChoice("30", _l("30 天")),
                                                 SelectChoice("90", _l("90 天")), SelectChoice("365", _l("365 天"))],
                          default="")
    user_id = SelectField(_l("令牌代表的账号"), choices=[], coerce=int,
                          description=_l("令牌以该账号的身份和角色操作。"))
