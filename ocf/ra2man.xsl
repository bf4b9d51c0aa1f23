<?xml version="1.0"?>
<!--
  An OCF resource agent's meta-data (resource-agent, ra-api-1.dtd) to a
  man page in roff (man(7) macros), in section 7, where resource-agents
  puts its agents' pages: ocf_PROVIDER_NAME(7).  String parameters:
  provider (gpupool) and package (the footer, "gpupool 0.1.0").

  Text is filled by roff: a description's line breaks are not kept, its
  blank lines separate paragraphs.
  SPDX-License-Identifier: GPL-2.0-or-later
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="text" encoding="UTF-8"/>
  <xsl:strip-space elements="*"/>

  <xsl:param name="provider" select="'gpupool'"/>
  <xsl:param name="package" select="''"/>

  <xsl:variable name="nl" select="'&#10;'"/>
  <xsl:variable name="agent" select="/resource-agent/@name"/>
  <xsl:variable name="page" select="concat('ocf_', $provider, '_', $agent)"/>

  <xsl:template match="/resource-agent">
    <xsl:text>.TH </xsl:text>
    <xsl:value-of select="translate($page, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')"/>
    <xsl:text> 7 "" "</xsl:text>
    <xsl:value-of select="$package"/>
    <xsl:text>" "OCF resource agents"&#10;</xsl:text>

    <xsl:text>.SH NAME&#10;</xsl:text>
    <xsl:value-of select="$page"/>
    <xsl:text> \- </xsl:text>
    <xsl:call-template name="escape">
      <xsl:with-param name="text" select="normalize-space(shortdesc)"/>
    </xsl:call-template>
    <xsl:value-of select="$nl"/>

    <xsl:text>.SH SYNOPSIS&#10;\fB</xsl:text>
    <xsl:value-of select="$agent"/>
    <xsl:text>\fR [</xsl:text>
    <xsl:for-each select="actions/action">
      <xsl:if test="position() &gt; 1"> | </xsl:if>
      <xsl:value-of select="@name"/>
    </xsl:for-each>
    <xsl:text>]&#10;</xsl:text>

    <xsl:text>.SH DESCRIPTION&#10;</xsl:text>
    <xsl:call-template name="paragraphs">
      <xsl:with-param name="text" select="longdesc"/>
    </xsl:call-template>

    <xsl:text>.SH SUPPORTED PARAMETERS&#10;</xsl:text>
    <xsl:if test="not(parameters/parameter)">
      <xsl:text>None.&#10;</xsl:text>
    </xsl:if>
    <xsl:apply-templates select="parameters/parameter"/>

    <xsl:text>.SH SUPPORTED ACTIONS&#10;</xsl:text>
    <xsl:text>Timeouts and intervals are the agent's advice for the resource's operations.&#10;</xsl:text>
    <xsl:apply-templates select="actions/action"/>

    <xsl:text>.SH EXAMPLE&#10;</xsl:text>
    <xsl:text>A primitive with the required parameters (crm shell):&#10;.PP&#10;.nf&#10;</xsl:text>
    <xsl:text>crm configure primitive example-</xsl:text>
    <xsl:value-of select="$agent"/>
    <xsl:text> ocf:</xsl:text>
    <xsl:value-of select="$provider"/>
    <xsl:text>:</xsl:text>
    <xsl:value-of select="$agent"/>
    <xsl:if test="parameters/parameter[@required = '1' or @required = 'true']">
      <xsl:text> \e&#10;    params</xsl:text>
      <xsl:for-each select="parameters/parameter[@required = '1' or @required = 'true']">
        <xsl:text> </xsl:text>
        <xsl:value-of select="@name"/>
        <xsl:text>=</xsl:text>
        <xsl:value-of select="translate(content/@type, 'abcdefghijklmnopqrstuvwxyz', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ')"/>
      </xsl:for-each>
    </xsl:if>
    <xsl:for-each select="actions/action[@interval and @name = 'monitor']">
      <xsl:text> \e&#10;    op monitor interval=</xsl:text>
      <xsl:value-of select="@interval"/>
      <xsl:text> timeout=</xsl:text>
      <xsl:value-of select="@timeout"/>
    </xsl:for-each>
    <xsl:text>&#10;.fi&#10;</xsl:text>

    <xsl:text>.SH SEE ALSO&#10;</xsl:text>
    <xsl:text>\fBgpupool\fR(8), \fBcrm\fR(8), \fBcrm_mon\fR(8), \fBocf_heartbeat_VirtualDomain\fR(7)&#10;</xsl:text>
  </xsl:template>

  <xsl:template match="parameter">
    <xsl:text>.TP&#10;\fB</xsl:text>
    <xsl:value-of select="@name"/>
    <xsl:text>\fR (</xsl:text>
    <xsl:value-of select="content/@type"/>
    <xsl:if test="@required = '1' or @required = 'true'">, required</xsl:if>
    <xsl:if test="@unique = '1' or @unique = 'true'">, unique</xsl:if>
    <xsl:if test="string(content/@default) != ''">
      <xsl:text>, default </xsl:text>
      <xsl:call-template name="escape">
        <xsl:with-param name="text" select="content/@default"/>
      </xsl:call-template>
    </xsl:if>
    <xsl:text>)&#10;</xsl:text>
    <xsl:call-template name="escape">
      <xsl:with-param name="text" select="normalize-space(shortdesc)"/>
      <xsl:with-param name="line-start" select="true()"/>
    </xsl:call-template>
    <xsl:text>.&#10;</xsl:text>
    <xsl:call-template name="paragraphs">
      <xsl:with-param name="text" select="longdesc"/>
      <xsl:with-param name="macro" select="'.IP'"/>
    </xsl:call-template>
    <xsl:if test="content/option">
      <xsl:text>.IP&#10;One of:</xsl:text>
      <xsl:for-each select="content/option">
        <xsl:text> </xsl:text>
        <xsl:value-of select="@value"/>
      </xsl:for-each>
      <xsl:text>.&#10;</xsl:text>
    </xsl:if>
  </xsl:template>

  <xsl:template match="action">
    <xsl:text>.TP&#10;\fB</xsl:text>
    <xsl:value-of select="@name"/>
    <xsl:text>\fR&#10;</xsl:text>
    <xsl:text>timeout </xsl:text>
    <xsl:value-of select="@timeout"/>
    <xsl:if test="@interval">
      <xsl:text>, interval </xsl:text>
      <xsl:value-of select="@interval"/>
    </xsl:if>
    <xsl:if test="@depth">
      <xsl:text>, depth </xsl:text>
      <xsl:value-of select="@depth"/>
    </xsl:if>
    <xsl:value-of select="$nl"/>
  </xsl:template>

  <!-- TEXT's paragraphs (separated by blank lines), each filled and
       introduced by MACRO (.PP in the description, .IP under a parameter). -->
  <xsl:template name="paragraphs">
    <xsl:param name="text"/>
    <xsl:param name="macro" select="'.PP'"/>
    <xsl:param name="para" select="''"/>
    <xsl:variable name="line">
      <xsl:choose>
        <xsl:when test="contains($text, $nl)"><xsl:value-of select="substring-before($text, $nl)"/></xsl:when>
        <xsl:otherwise><xsl:value-of select="$text"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:variable name="rest" select="substring-after($text, $nl)"/>
    <xsl:variable name="ends" select="normalize-space($line) = '' or not(contains($text, $nl))"/>
    <xsl:variable name="joined" select="normalize-space(concat($para, ' ', $line))"/>
    <xsl:if test="$ends and $joined != ''">
      <xsl:value-of select="$macro"/>
      <xsl:value-of select="$nl"/>
      <xsl:call-template name="escape">
        <xsl:with-param name="text" select="$joined"/>
        <xsl:with-param name="line-start" select="true()"/>
      </xsl:call-template>
      <xsl:value-of select="$nl"/>
    </xsl:if>
    <xsl:if test="contains($text, $nl)">
      <xsl:call-template name="paragraphs">
        <xsl:with-param name="text" select="$rest"/>
        <xsl:with-param name="macro" select="$macro"/>
        <xsl:with-param name="para">
          <xsl:if test="not($ends)"><xsl:value-of select="$joined"/></xsl:if>
        </xsl:with-param>
      </xsl:call-template>
    </xsl:if>
  </xsl:template>

  <!-- TEXT for roff: a backslash is \e; at the start of a line, "\&" keeps
       a leading '.' or "'" from being read as a request. -->
  <xsl:template name="escape">
    <xsl:param name="text"/>
    <xsl:param name="line-start" select="false()"/>
    <xsl:if test="$line-start and (starts-with($text, '.') or starts-with($text, &quot;'&quot;))">\&amp;</xsl:if>
    <xsl:choose>
      <xsl:when test="contains($text, '\')">
        <xsl:value-of select="substring-before($text, '\')"/>
        <xsl:text>\e</xsl:text>
        <xsl:call-template name="escape">
          <xsl:with-param name="text" select="substring-after($text, '\')"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$text"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
